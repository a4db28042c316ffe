# Import an existing task by its id. The API cannot report the prompt, model or size, so the
# next apply takes them from configuration in place, without generating a new image.
terraform import apimart_image.hero task_01K8AYYM6R03TGZ3Q2P0TZVNPX
