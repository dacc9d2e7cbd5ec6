{{- define "worker.fullname" -}}{{ .Release.Name }}-{{ .Chart.Name }}{{- end -}}
