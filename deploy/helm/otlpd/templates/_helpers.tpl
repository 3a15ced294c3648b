{{/* Chart name, at most 63 characters (a DNS label). */}}
{{- define "otlpd.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Release-qualified name for every object. */}}
{{- define "otlpd.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "otlpd.selectorLabels" -}}
app.kubernetes.io/name: {{ include "otlpd.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "otlpd.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "otlpd.selectorLabels" . }}
app.kubernetes.io/component: {{ .Values.mode }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "otlpd.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "otlpd.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* Fails the render on a mode the chart does not know. */}}
{{- define "otlpd.checkMode" -}}
{{- if not (has .Values.mode (list "daemonset" "deployment" "sidecar")) }}
{{- fail (printf "mode must be daemonset, deployment or sidecar, not %q" .Values.mode) }}
{{- end }}
{{- end }}

{{/* The otlpd container, as one item of a containers list. */}}
{{- define "otlpd.container" -}}
- name: otlpd
  image: "{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}"
  imagePullPolicy: {{ .Values.image.pullPolicy }}
  args:
    - --config
    - /etc/otlpd/config.yaml
    - --shutdown-timeout
    - {{ .Values.shutdownTimeout | quote }}
    {{- range .Values.extraArgs }}
    - {{ . | quote }}
    {{- end }}
  env:
    - name: K8S_NODE_NAME
      valueFrom:
        fieldRef:
          fieldPath: spec.nodeName
    - name: K8S_POD_NAME
      valueFrom:
        fieldRef:
          fieldPath: metadata.name
    - name: K8S_NAMESPACE
      valueFrom:
        fieldRef:
          fieldPath: metadata.namespace
    - name: MY_POD_IP
      valueFrom:
        fieldRef:
          fieldPath: status.podIP
    - name: HOST_IP
      valueFrom:
        fieldRef:
          fieldPath: status.hostIP
    {{- with .Values.extraEnvs }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  ports:
    {{- range $name, $port := .Values.ports }}
    {{- if $port.enabled }}
    - name: {{ $name }}
      containerPort: {{ $port.containerPort }}
      protocol: {{ $port.protocol }}
      {{- if and (eq $.Values.mode "daemonset") $port.hostPort }}
      hostPort: {{ $port.hostPort }}
      {{- end }}
    {{- end }}
    {{- end }}
    - name: health
      containerPort: {{ .Values.healthCheck.port }}
      protocol: TCP
  livenessProbe:
    httpGet:
      path: {{ .Values.healthCheck.path }}
      port: {{ .Values.healthCheck.port }}
    initialDelaySeconds: 5
    periodSeconds: 10
  readinessProbe:
    httpGet:
      path: {{ .Values.healthCheck.path }}
      port: {{ .Values.healthCheck.port }}
    periodSeconds: 5
  {{- with .Values.resources }}
  resources:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.securityContext }}
  securityContext:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  volumeMounts:
    - name: otlpd-config
      mountPath: /etc/otlpd
      readOnly: true
{{- end }}

{{/* The pod template shared by the DaemonSet and the Deployment. */}}
{{- define "otlpd.podTemplate" -}}
metadata:
  labels:
    {{- include "otlpd.selectorLabels" . | nindent 4 }}
    {{- with .Values.podLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  annotations:
    # A changed config rolls the pods.
    checksum/config: {{ include (print .Template.BasePath "/configmap.yaml") . | sha256sum }}
    {{- with .Values.podAnnotations }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  serviceAccountName: {{ include "otlpd.serviceAccountName" . }}
  # The token k8sattributes reads the API server with; nothing else needs it.
  automountServiceAccountToken: {{ include "otlpd.kubernetesAttributes" . | eq "true" }}
  terminationGracePeriodSeconds: {{ .Values.terminationGracePeriodSeconds }}
  {{- with .Values.imagePullSecrets }}
  imagePullSecrets:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.podSecurityContext }}
  securityContext:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  containers:
    {{- include "otlpd.container" . | nindent 4 }}
  volumes:
    - name: otlpd-config
      configMap:
        name: {{ include "otlpd.fullname" . }}
  {{- with .Values.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.affinity }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}

{{/* Whether k8sattributes (presets.kubernetesAttributes) is in force. */}}
{{- define "otlpd.kubernetesAttributes" -}}
{{- if and .Values.presets.kubernetesAttributes.enabled (eq .Values.mode "daemonset") }}true{{ end }}
{{- end }}

{{/* The k8sattributes processor presets.kubernetesAttributes adds. */}}
{{- define "otlpd.k8sattributesConfig" -}}
auth_type: serviceAccount
passthrough: false
filter:
  node_from_env_var: K8S_NODE_NAME
extract:
  metadata:
    - k8s.namespace.name
    - k8s.pod.name
    - k8s.pod.uid
    - k8s.pod.start_time
    - k8s.deployment.name
    - k8s.node.name
pod_association:
  - sources:
      - from: resource_attribute
        name: k8s.pod.ip
  - sources:
      - from: resource_attribute
        name: k8s.pod.uid
  - sources:
      - from: connection
{{- end }}

{{/* .Values.config with the presets in force applied. */}}
{{- define "otlpd.config" -}}
{{- $config := deepCopy .Values.config }}
{{- if include "otlpd.kubernetesAttributes" . }}
{{- $processors := $config.processors | default dict }}
{{- if not (hasKey $processors "k8sattributes") }}
{{- $_ := set $processors "k8sattributes" (include "otlpd.k8sattributesConfig" . | fromYaml) }}
{{- end }}
{{- $_ := set $config "processors" $processors }}
{{- range $name, $pipeline := $config.service.pipelines }}
{{- $old := $pipeline.processors | default list }}
{{- /* otlpd's k8sattributes takes no profiles: profiles pipelines are left as written. */}}
{{- if and (not (has "k8sattributes" $old)) (ne (regexReplaceAll "/.*" $name "") "profiles") }}
{{- $new := list }}
{{- $placed := false }}
{{- range $p := $old }}
{{- $new = append $new $p }}
{{- if and (eq $p "memory_limiter") (not $placed) }}
{{- $new = append $new "k8sattributes" }}
{{- $placed = true }}
{{- end }}
{{- end }}
{{- if not $placed }}
{{- $new = prepend $new "k8sattributes" }}
{{- end }}
{{- $_ := set $pipeline "processors" $new }}
{{- end }}
{{- end }}
{{- end }}
{{- toYaml $config }}
{{- end }}
