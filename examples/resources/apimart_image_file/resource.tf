resource "apimart_image" "hero" {
  prompt = "A corgi wearing an astronaut helmet on the Moon, Earth in the background, cinematic lighting"
}

# The file stays after the URL expires; a plan reads it from disk and sends nothing.
resource "apimart_image_file" "hero" {
  url  = apimart_image.hero.url
  path = "${path.module}/assets/hero.png"
}

# Several images of one task: n is known at plan time, the URLs are not.
resource "apimart_image" "posters" {
  prompt = "A retro travel poster of a lighthouse at dusk, bold shapes, limited palette"
  model  = "gpt-4o-image"
  size   = "3:2"
  n      = 2
}

resource "apimart_image_file" "poster" {
  count = apimart_image.posters.n
  url   = apimart_image.posters.urls[count.index]
  path  = "${path.module}/assets/poster-${count.index}.png"

  # Leave the file in place when this resource is destroyed.
  keep_on_destroy = true
}

output "hero_size" {
  value = "${apimart_image_file.hero.width}x${apimart_image_file.hero.height}"
}
