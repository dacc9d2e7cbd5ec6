{{values.image.repository}}:{{values.image.tag}}
