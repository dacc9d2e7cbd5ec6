{{#*inline "labels"}}
app.kubernetes.io/name: naas
app.kubernetes.io/instance: {{release.name}}
app.kubernetes.io/version: {{quote chart.appVersion}}
app.kubernetes.io/part-of: {{replace " " "-" (lower profile.name)}}
{{/inline}}
