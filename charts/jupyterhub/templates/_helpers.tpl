{{!-- Partials of the jupyterhub chart: each inline block is visible to every template. --}}
{{#*inline "labels"}}
app.kubernetes.io/name: jupyterhub
app.kubernetes.io/component: hub
app.kubernetes.io/instance: {{release.name}}
app.kubernetes.io/version: {{quote chart.appVersion}}
helm.sh/chart: {{chart.name}}-{{chart.version}}
{{/inline}}
{{#*inline "selector"}}
app.kubernetes.io/name: jupyterhub
app.kubernetes.io/component: hub
app.kubernetes.io/instance: {{release.name}}
{{/inline}}
