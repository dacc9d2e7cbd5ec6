{{- define "child.greeting" -}}hello from the parent to {{ .Chart.Name }}{{- end -}}
