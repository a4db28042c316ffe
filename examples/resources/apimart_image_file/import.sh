# Adopt a file that is already on disk by "<path>=<url>": the path exactly as the configuration
# writes it (path.module of the root module is "."), then the URL it came from. The file is
# hashed, not downloaded.
terraform import apimart_image_file.hero './assets/hero.png=https://upload.apimart.ai/f/image/9c2f0e.png'
