import {
  to = apimart_image_file.hero
  id = "./assets/hero.png=https://upload.apimart.ai/f/image/9c2f0e.png"
}
