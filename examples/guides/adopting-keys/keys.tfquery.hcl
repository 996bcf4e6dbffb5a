# The organization's active keys whose names match var.keep: all of them
# until you set it. include_resource gives each result the key's resource
# object, from which -generate-config-out writes its configuration.
list "astral_api_key" "keys" {
  provider         = astral
  include_resource = true
  limit            = 1000

  config {
    name_regex = var.keep
  }
}
