{{ .Values.auth | toYaml }}
