{{- define "umbrella.greeting" -}}
hello from {{ .Chart.Name }}
{{- end -}}
