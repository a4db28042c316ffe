# An edit of a local product photo. The file is uploaded once, during create; a new image is
# made only when the photo's content changes, not when it is touched or moved.
resource "apimart_image" "product_on_a_beach" {
  prompt           = "Place this product on a sunny beach, soft shadows, photorealistic"
  model            = "gpt-image-1-official"
  size             = "1:1"
  reference_images = ["${path.module}/product.png"]
}

output "product_reference_urls" {
  value = apimart_image.product_on_a_beach.reference_urls
}
