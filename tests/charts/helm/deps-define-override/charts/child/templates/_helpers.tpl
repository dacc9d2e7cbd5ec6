{{- define "child.greeting" -}}hello from the child{{- end -}}
{{- define "child.only" -}}defined only in {{ .Chart.Name }}{{- end -}}
