# Look up a task, for example one started outside Terraform.
data "apimart_task" "existing" {
  task_id = "task_01K8AYYM6R03TGZ3Q2P0TZVNPX"
}

output "existing_status" {
  value = data.apimart_task.existing.status
}

output "existing_urls" {
  value = data.apimart_task.existing.urls
}
