# A 4K poster. The tier may be written in any case; it is checked against the model at plan time
# and sent in the model's own spelling.
resource "apimart_image" "poster" {
  prompt     = "A vintage travel poster of a lighthouse on a cliff, bold flat colours"
  model      = "gemini-3-pro-image-preview"
  size       = "16:9"
  resolution = "4K"
}
