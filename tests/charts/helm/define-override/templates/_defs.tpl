{{- define "shared.name" -}}parent-wins{{- end -}}
{{- define "parent.only" -}}
{{- block "inner.block" . -}}default-block-{{ .Values.x }}{{- end -}}
{{- end -}}
