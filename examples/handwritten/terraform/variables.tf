variable "project_name" {
  description = "Prefix of every name in the stack"
  type        = string
  default     = "twinstack"
}

variable "region" {
  description = "AWS region to deploy to"
  type        = string
  default     = "us-east-1"
}

variable "vpc_cidr" {
  type    = string
  default = "10.20.0.0/16"
}

variable "admin_cidr" {
  description = "Network allowed to SSH into the servers"
  type        = string
  default     = "203.0.113.0/24"
}

variable "instance_type" {
  type    = string
  default = "t3.micro"
}

variable "instance_count" {
  description = "Servers the group runs (desired capacity)"
  type        = number
  default     = 1
}

variable "min_instances" {
  description = "Fewest servers scaling in may leave"
  type        = number
  default     = 1
}

# Above instance_count, so that a rolling update can start a new server
# before it stops an old one.
variable "max_instances" {
  description = "Most servers scaling out may start"
  type        = number
  default     = 4
}

variable "requests_per_instance" {
  description = "Load balancer requests per minute per server the scaling policy aims at"
  type        = number
  default     = 1000
}

variable "server_port" {
  type    = number
  default = 8080
}

variable "lambda_zip" {
  description = "Path of the built Lambda package (make build)"
  type        = string
  default     = "build/lambda.zip"
}

variable "server_binary" {
  description = "Path of the built server binary (make build)"
  type        = string
  default     = "build/server-linux-amd64"
}
