# The key is read from APIMART_API_KEY when api_key is not set; keep it out of configuration files.
provider "apimart" {
  # api_key         = var.apimart_api_key
  # base_url        = "https://api.apimart.ai"
  # max_retries     = 4
  # rate_limit      = 20
  # request_timeout = "60s"
}
