app.kubernetes.io/name: {{trunc 63 (trimSuffix "-" (lower chart.name))}}
app.kubernetes.io/component: proxy
app.kubernetes.io/instance: {{release.name}}
app.kubernetes.io/version: {{quote chart.appVersion}}
