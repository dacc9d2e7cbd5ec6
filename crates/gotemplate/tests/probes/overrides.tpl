{{- define "ov.helpers-vs-probe" }}helpers{{ end -}}
{{- define "ov.blank" }}   {{ end -}}
{{- define "ov.filled-by-probe" }}  {{ end -}}
