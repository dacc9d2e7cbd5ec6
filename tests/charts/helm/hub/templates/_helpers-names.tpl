{{- define "jupyterhub.fullname" -}}
    {{- if (include "jupyterhub.fullname.dash" .) -}}
        {{- .Values.fullnameOverride | default .Release.Name -}}
    {{- end -}}
{{- end -}}

{{- define "jupyterhub.fullname.dash" -}}
    {{- if .Values.fullnameOverride -}}
        {{- .Values.fullnameOverride }}-
    {{- else if not (.Values.nameOverride | eq "") -}}
        {{- .Release.Name }}-
    {{- end -}}
{{- end -}}

{{- define "jupyterhub.hub.fullname" -}}
    {{- include "jupyterhub.fullname.dash" . }}hub
{{- end }}
{{- define "jupyterhub.proxy.fullname" -}}
    {{- include "jupyterhub.fullname.dash" . }}proxy
{{- end }}
{{- define "jupyterhub.proxy-api.fullname" -}}
    {{- include "jupyterhub.proxy.fullname" . }}-api
{{- end }}
{{- define "jupyterhub.proxy-public.fullname" -}}
    {{- include "jupyterhub.proxy.fullname" . }}-public
{{- end }}
{{- define "jupyterhub.hub-pvc.fullname" -}}
    {{- include "jupyterhub.hub.fullname" . }}-db-dir
{{- end }}
{{- define "jupyterhub.user-scheduler.fullname" -}}
    {{- include "jupyterhub.fullname.dash" . }}user-scheduler
{{- end }}
