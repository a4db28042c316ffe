# Adopt an object that is already in a bucket by "<bucket> <key> <url>", separated by spaces:
# the bucket URL, the key, then the URL the image came from. The image URL is not downloaded.
terraform import apimart_image_object.hero 's3://site-assets?region=eu-central-1 images/hero.png https://upload.apimart.ai/f/image/9c2f0e.png'
