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
  type    = number
  default = 1
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
