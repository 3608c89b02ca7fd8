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

output "FunctionName" {
  description = "Lambda function name"
  value       = aws_lambda_function.ingest.function_name
}

output "FunctionUrl" {
  description = "Lambda function URL (AWS_IAM auth)"
  value       = aws_lambda_function_url.ingest.function_url
}

output "ServerPrivateIps" {
  description = "private IPv4 addresses of the servers, comma-separated"
  value       = join(",", aws_instance.server[*].private_ip)
}
