{{/* The object name of one process of one force: csods-<service>-<force>. */}}
{{- define "csods.name" -}}
{{- printf "csods-%s-%s" .process .force | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "csods.labels" -}}
app.kubernetes.io/name: csods
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .process }}
app.kubernetes.io/part-of: csods
csods.police.uk/tenant: {{ .force }}
{{- end -}}

{{- define "csods.selector" -}}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .process }}
csods.police.uk/tenant: {{ .force }}
{{- end -}}

{{- define "csods.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{/* A container that runs as nobody, reads only, and keeps no privilege. */}}
{{- define "csods.containerSecurity" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
runAsUser: 10001
capabilities:
  drop: ["ALL"]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* Readiness and liveness on the process's own health routes (architecture §8). */}}
{{- define "csods.probes" -}}
readinessProbe:
  httpGet:
    path: /health/ready
    port: {{ .port }}
  periodSeconds: 5
  failureThreshold: 3
livenessProbe:
  httpGet:
    path: /health/live
    port: {{ .port }}
  initialDelaySeconds: 20
  periodSeconds: 10
  failureThreshold: 6
{{- end -}}
