{{- define "common.fullname" -}}{{ .Release.Name }}-{{ .Values.name | default .Chart.Name }}{{- end -}}
{{- define "common.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
chart: {{ .Chart.Name }}-{{ .Chart.Version }}
{{- end -}}
{{- define "common.port" -}}{{ .Values.port | default 8080 }}{{- end -}}
