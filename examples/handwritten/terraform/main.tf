terraform {
  required_version = ">= 1.5"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
  }
}

provider "aws" {
  region = var.region
}

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

data "aws_availability_zones" "available" {
  state = "available"
  # The region's own AZs: an opted-in Local Zone would sort first.
  filter {
    name   = "opt-in-status"
    values = ["opt-in-not-required"]
  }
}

data "aws_ssm_parameter" "al2023" {
  name = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
}

locals {
  account_id = data.aws_caller_identity.current.account_id
  suffix     = "${local.account_id}-${var.region}"
  # Known before the group exists: user data and the role name it.
  group_name = "${var.project_name}-servers"
  hook_name  = "${var.project_name}-server-ready"
}

# ---------------------------------------------------------------- storage

resource "aws_s3_bucket" "images" {
  bucket        = "${var.project_name}-images-${local.suffix}"
  force_destroy = false
}

resource "aws_s3_bucket_versioning" "images" {
  bucket = aws_s3_bucket.images.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "images" {
  bucket = aws_s3_bucket.images.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_public_access_block" "images" {
  bucket                  = aws_s3_bucket.images.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_lifecycle_configuration" "images" {
  bucket = aws_s3_bucket.images.id

  rule {
    id     = "abort-incomplete-multipart-uploads"
    status = "Enabled"
    filter {}

    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }

  rule {
    id     = "expire-noncurrent-versions"
    status = "Enabled"
    filter {}

    noncurrent_version_expiration {
      noncurrent_days = 30
    }
  }

  # Noncurrent versions exist only once versioning is on.
  depends_on = [aws_s3_bucket_versioning.images]
}

resource "aws_s3_bucket_policy" "images" {
  bucket = aws_s3_bucket.images.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "DenyInsecureTransport"
      Effect    = "Deny"
      Principal = "*"
      Action    = "s3:*"
      Resource  = [aws_s3_bucket.images.arn, "${aws_s3_bucket.images.arn}/*"]
      Condition = { Bool = { "aws:SecureTransport" = "false" } }
    }]
  })
  depends_on = [aws_s3_bucket_public_access_block.images]
}

# The server binary is uploaded to a bucket of its own.
resource "aws_s3_bucket" "artifacts" {
  bucket        = "${var.project_name}-artifacts-${local.suffix}"
  force_destroy = true
}

resource "aws_s3_bucket_server_side_encryption_configuration" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_public_access_block" "artifacts" {
  bucket                  = aws_s3_bucket.artifacts.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_policy" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "DenyInsecureTransport"
      Effect    = "Deny"
      Principal = "*"
      Action    = "s3:*"
      Resource  = [aws_s3_bucket.artifacts.arn, "${aws_s3_bucket.artifacts.arn}/*"]
      Condition = { Bool = { "aws:SecureTransport" = "false" } }
    }]
  })
  depends_on = [aws_s3_bucket_public_access_block.artifacts]
}

resource "aws_s3_object" "server" {
  bucket = aws_s3_bucket.artifacts.id
  key    = "server/server-linux-amd64"
  source = "${path.module}/${var.server_binary}"
}

resource "aws_dynamodb_table" "images" {
  name                        = "${var.project_name}-images"
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "image_id"
  deletion_protection_enabled = true

  attribute {
    name = "image_id"
    type = "S"
  }
  attribute {
    name = "entity"
    type = "S"
  }
  attribute {
    name = "created_at"
    type = "S"
  }

  global_secondary_index {
    name            = "by-created"
    hash_key        = "entity"
    range_key       = "created_at"
    projection_type = "ALL"
  }

  point_in_time_recovery {
    enabled = true
  }
}

resource "aws_dynamodb_table" "albums" {
  name                        = "${var.project_name}-albums"
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "id"
  deletion_protection_enabled = true

  attribute {
    name = "id"
    type = "S"
  }
}

# ---------------------------------------------------------------- network

resource "aws_vpc" "main" {
  cidr_block           = var.vpc_cidr
  enable_dns_support   = true
  enable_dns_hostnames = true
}

resource "aws_internet_gateway" "main" {
  vpc_id = aws_vpc.main.id
}

resource "aws_subnet" "public" {
  count                   = 2
  vpc_id                  = aws_vpc.main.id
  cidr_block              = cidrsubnet(var.vpc_cidr, 8, count.index)
  availability_zone       = data.aws_availability_zones.available.names[count.index]
  map_public_ip_on_launch = true
}

resource "aws_route_table" "public" {
  count  = 2
  vpc_id = aws_vpc.main.id

  route {
    cidr_block = "0.0.0.0/0"
    gateway_id = aws_internet_gateway.main.id
  }
}

resource "aws_route_table_association" "public" {
  count          = 2
  subnet_id      = aws_subnet.public[count.index].id
  route_table_id = aws_route_table.public[count.index].id
}

# Each hop is allowed only to the next: the Lambda calls the load balancer,
# the load balancer calls the servers.
resource "aws_security_group" "server" {
  name        = "${var.project_name}-server"
  description = "twinstack servers: 8080 from the load balancer only"
  vpc_id      = aws_vpc.main.id
}

resource "aws_security_group" "alb" {
  name        = "${var.project_name}-alb"
  description = "twinstack load balancer: 80 from the Lambda only"
  vpc_id      = aws_vpc.main.id
}

resource "aws_security_group" "lambda" {
  name        = "${var.project_name}-lambda"
  description = "twinstack Lambda: calls the load balancer only"
  vpc_id      = aws_vpc.main.id
}

resource "aws_vpc_security_group_ingress_rule" "server_from_alb" {
  security_group_id            = aws_security_group.server.id
  referenced_security_group_id = aws_security_group.alb.id
  ip_protocol                  = "tcp"
  from_port                    = var.server_port
  to_port                      = var.server_port
  description                  = "server port from the load balancer"
}

resource "aws_vpc_security_group_ingress_rule" "server_ssh" {
  security_group_id = aws_security_group.server.id
  cidr_ipv4         = var.admin_cidr
  ip_protocol       = "tcp"
  from_port         = 22
  to_port           = 22
  description       = "SSH from the admin network"
}

resource "aws_vpc_security_group_egress_rule" "server_all" {
  security_group_id = aws_security_group.server.id
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "-1"
  description       = "all outbound"
}

resource "aws_vpc_security_group_ingress_rule" "alb_from_lambda" {
  security_group_id            = aws_security_group.alb.id
  referenced_security_group_id = aws_security_group.lambda.id
  ip_protocol                  = "tcp"
  from_port                    = 80
  to_port                      = 80
  description                  = "listener from the Lambda"
}

resource "aws_vpc_security_group_egress_rule" "alb_to_server" {
  security_group_id            = aws_security_group.alb.id
  referenced_security_group_id = aws_security_group.server.id
  ip_protocol                  = "tcp"
  from_port                    = var.server_port
  to_port                      = var.server_port
  description                  = "server port"
}

resource "aws_vpc_security_group_egress_rule" "lambda_to_alb" {
  security_group_id            = aws_security_group.lambda.id
  referenced_security_group_id = aws_security_group.alb.id
  ip_protocol                  = "tcp"
  from_port                    = 80
  to_port                      = 80
  description                  = "load balancer listener"
}

# ---------------------------------------------------------------- IAM
# IAM names are global to the account: the region in them lets the same
# project name deploy to a second region.

resource "aws_iam_role" "server" {
  name = "${var.project_name}-server-${var.region}"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "ec2.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

resource "aws_iam_role_policy" "server" {
  name = "server-data-access"
  role = aws_iam_role.server.name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "ImageObjects"
        Effect   = "Allow"
        Action   = ["s3:AbortMultipartUpload", "s3:DeleteObject", "s3:DeleteObjectVersion", "s3:GetObject", "s3:PutObject"]
        Resource = "${aws_s3_bucket.images.arn}/images/*"
      },
      {
        Sid      = "ImagesTable"
        Effect   = "Allow"
        Action   = ["dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:PutItem"]
        Resource = aws_dynamodb_table.images.arn
      },
      {
        Sid      = "ImagesListIndex"
        Effect   = "Allow"
        Action   = "dynamodb:Query"
        Resource = "${aws_dynamodb_table.images.arn}/index/by-created"
      },
      {
        Sid      = "AlbumsTable"
        Effect   = "Allow"
        Action   = ["dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Scan"]
        Resource = aws_dynamodb_table.albums.arn
      },
      {
        # What the SSM agent calls for Session Manager and Run Command.
        # Not AmazonSSMManagedInstanceCore: it also grants ssm:GetParameter(s)
        # on every Parameter Store value of the account.
        Sid    = "SSMAgent"
        Effect = "Allow"
        Action = [
          "ec2messages:AcknowledgeMessage", "ec2messages:DeleteMessage", "ec2messages:FailMessage",
          "ec2messages:GetEndpoint", "ec2messages:GetMessages", "ec2messages:SendReply",
          "ssm:UpdateInstanceInformation",
          "ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel",
          "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel",
        ]
        Resource = "*"
      },
      {
        Sid      = "ServerBinary"
        Effect   = "Allow"
        Action   = "s3:GetObject"
        Resource = aws_s3_object.server.arn
      },
      {
        # User data completes its own instance's launch hook. The group's
        # ARN carries a generated id, hence the wildcard.
        Sid      = "LaunchHook"
        Effect   = "Allow"
        Action   = "autoscaling:CompleteLifecycleAction"
        Resource = "arn:${data.aws_partition.current.partition}:autoscaling:${var.region}:${local.account_id}:autoScalingGroup:*:autoScalingGroupName/${local.group_name}"
      },
    ]
  })
}

resource "aws_iam_instance_profile" "server" {
  name = "${var.project_name}-server-${var.region}"
  role = aws_iam_role.server.name
}

resource "aws_iam_role" "lambda" {
  name = "${var.project_name}-lambda-${var.region}"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
  managed_policy_arns = [
    "arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
    "arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole",
  ]
}

# ---------------------------------------------------------------- load balancer

resource "aws_lb" "internal" {
  name               = "${var.project_name}-alb"
  internal           = true
  load_balancer_type = "application"
  subnets            = aws_subnet.public[*].id
  security_groups    = [aws_security_group.alb.id]
}

resource "aws_lb_target_group" "servers" {
  name        = "${var.project_name}-tg"
  port        = var.server_port
  protocol    = "HTTP"
  target_type = "instance"
  vpc_id      = aws_vpc.main.id

  health_check {
    path                = "/healthz"
    matcher             = "200"
    interval            = 15
    timeout             = 5
    healthy_threshold   = 3
    unhealthy_threshold = 3
  }
}

resource "aws_lb_listener" "http" {
  load_balancer_arn = aws_lb.internal.arn
  port              = 80
  protocol          = "HTTP"

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.servers.arn
  }
}

# ---------------------------------------------------------------- servers

resource "aws_launch_template" "server" {
  name                   = "${var.project_name}-server"
  image_id               = data.aws_ssm_parameter.al2023.insecure_value
  instance_type          = var.instance_type
  vpc_security_group_ids = [aws_security_group.server.id]

  iam_instance_profile {
    name = aws_iam_instance_profile.server.name
  }

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }

  # A t3 defaults to unlimited credits, which bills sustained bursts.
  credit_specification {
    cpu_credits = "standard"
  }

  block_device_mappings {
    device_name = "/dev/xvda"
    ebs {
      encrypted   = true
      volume_size = 8
      volume_type = "gp3"
    }
  }

  user_data = base64encode(templatefile("${path.module}/user_data.sh.tftpl", {
    bucket       = aws_s3_object.server.bucket
    key          = aws_s3_object.server.key
    region       = var.region
    port         = var.server_port
    albums_table = aws_dynamodb_table.albums.name
    images_table = aws_dynamodb_table.images.name
    images       = aws_s3_bucket.images.bucket
    group        = local.group_name
    hook         = local.hook_name
  }))
}

resource "aws_autoscaling_group" "servers" {
  name                = local.group_name
  min_size            = var.min_instances
  max_size            = var.max_instances
  desired_capacity    = var.instance_count
  vpc_zone_identifier = aws_subnet.public[*].id
  target_group_arns   = [aws_lb_target_group.servers.arn]

  # Replace a server the load balancer finds unhealthy, once it had time
  # to download the binary and start.
  health_check_type         = "ELB"
  health_check_grace_period = 300

  # latest_version, not "$Latest": a new template version must change the
  # group for the instance refresh below to start.
  launch_template {
    id      = aws_launch_template.server.id
    version = aws_launch_template.server.latest_version
  }

  # Declared here rather than as aws_autoscaling_lifecycle_hook, which would
  # only exist after the first instances launched.
  initial_lifecycle_hook {
    name                 = local.hook_name
    lifecycle_transition = "autoscaling:EC2_INSTANCE_LAUNCHING"
    default_result       = "ABANDON"
    heartbeat_timeout    = 600
  }

  # One new server at a time, ready before an old one goes.
  instance_refresh {
    strategy = "Rolling"
    preferences {
      min_healthy_percentage = 100
      max_healthy_percentage = 200
      instance_warmup        = 60
    }
  }

  tag {
    key                 = "Name"
    value               = "${var.project_name}-server"
    propagate_at_launch = true
  }

  # User data downloads the binary at once: wait for the group's egress.
  depends_on = [aws_vpc_security_group_egress_rule.server_all]
}

resource "aws_autoscaling_policy" "requests" {
  name                   = "${var.project_name}-requests-per-target"
  autoscaling_group_name = aws_autoscaling_group.servers.name
  policy_type            = "TargetTrackingScaling"

  target_tracking_configuration {
    predefined_metric_specification {
      predefined_metric_type = "ALBRequestCountPerTarget"
      resource_label         = "${aws_lb.internal.arn_suffix}/${aws_lb_target_group.servers.arn_suffix}"
    }
    target_value = var.requests_per_instance
  }
}

# ---------------------------------------------------------------- function

# Created here rather than by Lambda on first invocation, so that the logs
# expire and a destroy removes the group.
resource "aws_cloudwatch_log_group" "ingest" {
  name              = "/aws/lambda/${var.project_name}-ingest"
  retention_in_days = 30
}

resource "aws_lambda_function" "ingest" {
  function_name    = "${var.project_name}-ingest"
  role             = aws_iam_role.lambda.arn
  runtime          = "provided.al2023"
  handler          = "bootstrap"
  architectures    = ["arm64"]
  memory_size      = 256
  timeout          = 30
  filename         = "${path.module}/${var.lambda_zip}"
  source_code_hash = filebase64sha256("${path.module}/${var.lambda_zip}")

  reserved_concurrent_executions = 20

  vpc_config {
    subnet_ids         = aws_subnet.public[*].id
    security_group_ids = [aws_security_group.lambda.id]
  }

  environment {
    variables = {
      SERVER_URL = "http://${aws_lb.internal.dns_name}"
    }
  }

  depends_on = [aws_cloudwatch_log_group.ingest]
}

resource "aws_lambda_function_url" "ingest" {
  function_name      = aws_lambda_function.ingest.function_name
  authorization_type = "AWS_IAM"
}
