# The balance of the provider's API key; scope = "account" reads the account that owns it.
data "apimart_balance" "key" {}

variable "warn_below" {
  description = "Warn when less than this is left, in the unit of the APIMart deployment."
  type        = number
  default     = 10
}

variable "minimum_balance" {
  description = "Submit no new image when less than this is left."
  type        = number
  default     = 2
}

# A warning in every plan and apply; it never stops one.
check "apimart_balance" {
  assert {
    condition     = data.apimart_balance.key.unlimited || data.apimart_balance.key.remain_balance >= var.warn_below
    error_message = "The APIMart key has ${data.apimart_balance.key.remain_balance} left, below ${var.warn_below}: top it up soon."
  }
}

# A hard stop: when the balance is below the minimum the plan fails, so this image is never
# submitted or paid for. An unlimited key always passes.
resource "apimart_image" "banner" {
  prompt = "A paper boat on a calm lake at sunrise, soft light"
  size   = "16:9"

  lifecycle {
    precondition {
      condition     = data.apimart_balance.key.unlimited || data.apimart_balance.key.remain_balance >= var.minimum_balance
      error_message = "The APIMart key has ${data.apimart_balance.key.remain_balance} left, below the minimum of ${var.minimum_balance}; no image was submitted."
    }
  }
}
