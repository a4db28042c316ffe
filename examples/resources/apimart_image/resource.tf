# The main model, imagen-4.0-apimart, with its default size of 16:9.
resource "apimart_image" "hero" {
  prompt = "A corgi wearing an astronaut helmet on the Moon, Earth in the background, cinematic lighting"
}

# A square image; a new one is generated whenever the release changes.
resource "apimart_image" "avatar" {
  prompt = "A friendly robot mascot, flat vector style, pastel colours"
  size   = "1:1"

  keepers = {
    release = "1.4.0"
  }
}

# Several images from one task, with a model that supports it.
resource "apimart_image" "variations" {
  prompt = "Isometric illustration of a tiny city on a floating island"
  model  = "gpt-4o-image"
  size   = "3:2"
  n      = 2

  timeouts {
    create = "30m"
  }
}

output "hero_url" {
  value = apimart_image.hero.url
}

output "variation_urls" {
  value = apimart_image.variations.urls
}
