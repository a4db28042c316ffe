import {
  to = apimart_image.hero
  id = "task_01K8AYYM6R03TGZ3Q2P0TZVNPX"
}
