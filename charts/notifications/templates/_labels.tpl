app.kubernetes.io/name: notifications
app.kubernetes.io/instance: {{release.name}}
