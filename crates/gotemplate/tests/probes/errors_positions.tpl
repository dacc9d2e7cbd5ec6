{{/* helpers whose errors must name this file and the right line */}}

{{- define "pos.one" -}}
line three
  {{ .Values.nothing.x }}
{{- end -}}

{{- define "pos.two" }}
{{/* a
multi-line
comment */}}
    {{- index .Values.list 7 }}
{{ end -}}
{{- define "pos.three" -}}{{ tpl "a\n\n  {{ .x.y }}" . }}{{- end -}}
