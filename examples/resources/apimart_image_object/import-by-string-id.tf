import {
  to = apimart_image_object.hero
  id = "s3://site-assets?region=eu-central-1 images/hero.png https://upload.apimart.ai/f/image/9c2f0e.png"
}
