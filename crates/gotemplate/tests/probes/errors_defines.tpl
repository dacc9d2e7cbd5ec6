{{/* Partial templates shared by the defines probes */}}
{{- define "greet" -}}
hello {{ . }}
{{- end -}}
{{- define "ctx" -}}
{{ .Values.str }}/{{ .Release.Name }}
{{- end -}}
{{- define "overridden" -}}from helpers{{- end -}}
{{- define "list" -}}
{{- range . }}[{{ . }}]{{ end -}}
{{- end -}}
{{- define "vars" -}}{{ $x := "inner" }}{{ $x }}{{- end -}}
{{- define "dot" -}}{{ . }}{{- end -}}
{{- define "fail.missing" -}}{{ .Values.nothing.x }}{{- end -}}
{{- define "fail.index" -}}{{ index .Values.list 9 }}{{- end -}}
{{- define "fail.required" -}}{{ required "inner required" .Values.missing }}{{- end -}}
{{- define "nested" -}}<{{ include "greet" . }}>{{- end -}}
{{- define "nested.fail" -}}{{ include "fail.missing" . }}{{- end -}}
{{- define "rec" -}}{{ include "rec" . }}{{- end -}}
{{- define "deep" -}}{{ template "deep" . }}{{- end -}}
{{- define "empty" -}}{{- end -}}
{{- define "ws" }}  spaced  {{ end -}}
{{- define "tplvalue" -}}{{ tpl "{{ .Values.str }}" . }}{{- end -}}
{{- define "multiline" -}}
line1
line2
{{- end -}}
