# The configuration `make demo` applies. It needs no arguments: the key and the base URL come
# from APIMART_API_KEY and APIMART_BASE_URL, which scripts/demo.sh points at the fake API
# unless you set a real key yourself.

terraform {
  required_providers {
    apimart = {
      source = "apimart/apimart"
    }
  }
}

provider "apimart" {}

# The default model, imagen-4.0-apimart, at its default size (16:9).
resource "apimart_image" "hero" {
  prompt = "A corgi wearing an astronaut helmet on the Moon, Earth in the background, cinematic lighting"
}

resource "apimart_image" "avatar" {
  prompt = "A friendly robot mascot, flat vector illustration, pastel colors, centered"
  size   = "1:1"
}

# Two variations from one request.
resource "apimart_image" "posters" {
  prompt = "A retro travel poster of a lighthouse at dusk, bold shapes, limited palette"
  model  = "gpt-4o-image"
  size   = "3:2"
  n      = 2
}

resource "apimart_image" "portrait" {
  prompt = "An ink and watercolor portrait of a cat scholar reading by candlelight"
  model  = "qwen-image-2.0"
  size   = "3:4"
}

# Looks a task up by id, as you would for a task created outside Terraform.
data "apimart_task" "hero" {
  task_id = apimart_image.hero.task_id
}

output "images" {
  description = "Every generated image URL, by resource name."
  value = {
    hero     = apimart_image.hero.urls
    avatar   = apimart_image.avatar.urls
    posters  = apimart_image.posters.urls
    portrait = apimart_image.portrait.urls
  }
}

output "task_ids" {
  description = "The APIMart task behind each image."
  value = {
    hero     = apimart_image.hero.task_id
    avatar   = apimart_image.avatar.task_id
    posters  = apimart_image.posters.task_id
    portrait = apimart_image.portrait.task_id
  }
}

output "hero_task" {
  description = "What the apimart_task data source reports for the hero image."
  value = {
    status       = data.apimart_task.hero.status
    progress     = data.apimart_task.hero.progress
    actual_time  = data.apimart_task.hero.actual_time
    completed_at = data.apimart_task.hero.completed_at
    expires_at   = data.apimart_task.hero.expires_at
  }
}
