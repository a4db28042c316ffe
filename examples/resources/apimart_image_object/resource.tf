resource "apimart_image" "hero" {
  prompt = "A corgi wearing an astronaut helmet on the Moon, Earth in the background, cinematic lighting"
}

# The image outlives its URL and the runner that made it; a plan reads the object's attributes
# only, and sends nothing to the API.
resource "apimart_image_object" "hero" {
  url           = apimart_image.hero.url
  bucket        = "s3://site-assets?region=eu-central-1"
  key           = "images/hero.png"
  cache_control = "public, max-age=31536000, immutable"
}

# Any S3-compatible store (MinIO, R2, Ceph, ...) through the URL's endpoint parameters, or a
# directory, created when missing.
resource "apimart_image_object" "local_copy" {
  url    = apimart_image.hero.url
  bucket = "file://${abspath(path.module)}/images"
  key    = "hero.png"

  # Leave the object in place when this resource is destroyed.
  keep_on_destroy = true
}

output "hero_sha256" {
  value = apimart_image_object.hero.sha256
}
