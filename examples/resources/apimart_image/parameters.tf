# Request fields without an argument of their own go through parameters, with their JSON types:
# seed is sent as the number 42 and watermark as the bool false. The API ignores keys it does not
# know, so check the model's documentation for the ones it reads.
resource "apimart_image" "seeded" {
  prompt = "A paper-cut illustration of a fox in a snowy forest"
  model  = "doubao-seedream-5-0-lite"

  parameters = {
    seed      = 42
    watermark = false
  }
}
