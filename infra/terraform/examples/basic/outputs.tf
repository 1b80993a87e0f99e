output "api_url" {
  value = module.verity.api_url
}

output "webhook_base_url" {
  value = module.verity.webhook_base_url
}

output "worker_service_account" {
  value = module.verity.worker_service_account
}
