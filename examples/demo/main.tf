# The configuration `make demo` applies. The key and the base URL come from APIMART_API_KEY and
# APIMART_BASE_URL, which scripts/demo.sh points at the fake API unless you set a real key
# yourself; the script also sets output_dir to the repository's demo-output/, and bucket to a
# directory below it.

terraform {
  required_providers {
    apimart = {
      source = "apimart/apimart"
    }
  }
}

provider "apimart" {}

variable "output_dir" {
  description = "The directory the image files are saved into."
  type        = string
  default     = "demo-output"
}

variable "bucket" {
  description = "The bucket every image is also stored in: s3://, gs://, azblob:// or file:///ABSOLUTE/DIR."
  type        = string
}

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

# Each image saved as a file. The files stay after the URLs expire, and a plan makes no request
# while they are intact.
resource "apimart_image_file" "hero" {
  url  = apimart_image.hero.url
  path = "${var.output_dir}/hero.png"
}

resource "apimart_image_file" "avatar" {
  url  = apimart_image.avatar.url
  path = "${var.output_dir}/avatar.png"
}

# n is known at plan time, the URLs only after apply.
resource "apimart_image_file" "posters" {
  count = apimart_image.posters.n
  url   = apimart_image.posters.urls[count.index]
  path  = "${var.output_dir}/posters-${count.index + 1}.png"
}

resource "apimart_image_file" "portrait" {
  url  = apimart_image.portrait.url
  path = "${var.output_dir}/portrait.png"
}

# Each image also stored in a bucket, where it outlives this working directory: a fresh CI runner
# with only the state plans nothing for these. The keys are known at plan time, the URLs after apply.
locals {
  results = merge(
    {
      hero     = apimart_image.hero.url
      avatar   = apimart_image.avatar.url
      portrait = apimart_image.portrait.url
    },
    { for i in range(apimart_image.posters.n) : "posters-${i + 1}" => apimart_image.posters.urls[i] },
  )
}

resource "apimart_image_object" "stored" {
  for_each = local.results
  url      = each.value
  bucket   = var.bucket
  key      = "images/${each.key}.png"
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

output "files" {
  description = "One line per saved file: name, size, pixels and SHA-256."
  value = join("\n", [
    for f in concat([apimart_image_file.hero, apimart_image_file.avatar], apimart_image_file.posters, [apimart_image_file.portrait]) :
    format("  %-14s %7d bytes  %4dx%-4d  %s  sha256 %s", basename(f.path), f.bytes, f.width, f.height, f.content_type, f.sha256)
  ])
}

output "objects" {
  description = "One line per stored object: key, size, pixels and SHA-256."
  value = join("\n", [
    for o in apimart_image_object.stored :
    format("  %-21s %7d bytes  %4dx%-4d  %s  sha256 %s", o.key, o.bytes, o.width, o.height, o.content_type, o.sha256)
  ])
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
