output "BucketName" {
  description = "image bucket"
  value       = aws_s3_bucket.images.bucket
}

output "ImagesTableName" {
  description = "image metadata table"
  value       = aws_dynamodb_table.images.name
}

output "AlbumsTableName" {
  description = "albums table"
  value       = aws_dynamodb_table.albums.name
}

output "ServerGroupName" {
  description = "Auto Scaling group of the servers"
  value       = aws_autoscaling_group.servers.name
}

output "LoadBalancerDnsName" {
  description = "internal load balancer DNS name"
  value       = aws_lb.internal.dns_name
}

output "FunctionName" {
  description = "Lambda function name"
  value       = aws_lambda_function.ingest.function_name
}

output "FunctionUrl" {
  description = "Lambda function URL (AWS_IAM auth)"
  value       = aws_lambda_function_url.ingest.function_url
}
