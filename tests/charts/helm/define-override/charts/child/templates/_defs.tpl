{{- define "shared.name" -}}child-loses{{- end -}}
{{- define "inner.block" -}}child-block{{- end -}}
