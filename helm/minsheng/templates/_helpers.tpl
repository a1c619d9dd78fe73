{{/* The release's name for its objects, at most 63 characters. */}}
{{- define "minsheng.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "minsheng.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "minsheng.selector" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "minsheng.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{- define "minsheng.secretName" -}}
{{- .Values.secrets.existingSecret | default (include "minsheng.fullname" .) -}}
{{- end -}}

{{/* Non-root, read-only root filesystem, no privilege escalation. */}}
{{- define "minsheng.podSecurity" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
fsGroup: 10001
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "minsheng.containerSecurity" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop: ["ALL"]
{{- end -}}

{{/* The settings every container gets. */}}
{{- define "minsheng.env" -}}
- name: MINSHENG_LISTEN
  value: "0.0.0.0:8080"
- name: MINSHENG_DATA_DIR
  value: /data
- name: MINSHENG_TENANTS_DIR
  value: /app/tenants
{{- end -}}

{{- define "minsheng.envFrom" -}}
- configMapRef:
    name: {{ include "minsheng.fullname" . }}
- secretRef:
    name: {{ include "minsheng.secretName" . }}
{{- end -}}
