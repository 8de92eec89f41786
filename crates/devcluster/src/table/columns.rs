//! The columns of the built-in kinds, as kube-apiserver's printers declare them: per kind, a list of column
//! definitions, each with where its cell comes from.

use serde_json::{json, Value};

use super::cells::{self, Cx};
use super::{event, pod, policy};

/// kube's description of the NAME column.
pub const NAME_DESCRIPTION: &str = "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names";

/// kube's description of the AGE and CREATED AT columns.
pub const AGE_DESCRIPTION: &str = "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";

/// Where a cell's value comes from.
#[derive(Clone, Copy)]
pub enum Cell {
    /// An integer field at a JSON pointer; 0 when absent.
    Int(&'static str),
    /// A string field at a JSON pointer; the fallback text when absent or empty.
    Text(&'static str, &'static str),
    /// The number of entries of the arrays or maps at these pointers, summed.
    Count(&'static [&'static str]),
    /// Computed from the whole object.
    Computed(fn(&Cx) -> Value),
}

/// One column of a built-in kind.
#[derive(Clone, Copy)]
pub struct Column {
    name: &'static str,
    ty: &'static str,
    format: &'static str,
    priority: u8,
    description: &'static str,
    cell: Cell,
}

impl Column {
    /// The column's `TableColumnDefinition`.
    pub fn definition(&self) -> Value {
        json!({
            "name": self.name, "type": self.ty, "format": self.format,
            "description": self.description, "priority": self.priority,
        })
    }

    /// The cell of this column for one object.
    pub fn cell(&self, cx: &Cx) -> Value {
        match self.cell {
            Cell::Int(pointer) => json!(cx.int(pointer)),
            Cell::Text(pointer, fallback) => json!(cells::or(cx.text(pointer), fallback)),
            Cell::Count(pointers) => json!(pointers.iter().map(|p| cx.count(p)).sum::<usize>()),
            Cell::Computed(f) => f(cx),
        }
    }
}

/// A column shown by default.
const fn col(
    name: &'static str,
    ty: &'static str,
    description: &'static str,
    cell: Cell,
) -> Column {
    Column {
        name,
        ty,
        format: "",
        priority: 0,
        description,
        cell,
    }
}

/// A string column shown by default.
const fn string_col(name: &'static str, description: &'static str, cell: Cell) -> Column {
    col(name, "string", description, cell)
}

/// A column shown only with `-o wide`.
const fn wide(name: &'static str, description: &'static str, cell: Cell) -> Column {
    Column {
        priority: 1,
        ..string_col(name, description, cell)
    }
}

const NAME: Column = Column {
    format: "name",
    ..string_col("Name", NAME_DESCRIPTION, Cell::Computed(cells::name))
};
const AGE: Column = string_col("Age", AGE_DESCRIPTION, Cell::Computed(cells::age));
const CREATED_AT: Column = col(
    "Created At",
    "date",
    AGE_DESCRIPTION,
    Cell::Computed(cells::created_at),
);
const CONTAINERS: Column = wide(
    "Containers",
    "Names of each container in the template.",
    Cell::Computed(cells::containers),
);
const IMAGES: Column = wide(
    "Images",
    "Images referenced by each container in the template.",
    Cell::Computed(cells::images),
);
const SELECTOR: Column = wide(
    "Selector",
    "A label query over pods that should match the replicas count.",
    Cell::Computed(cells::selector),
);
const READY_OF_DESIRED: Column = string_col(
    "Ready",
    "Number of the pod with ready state",
    Cell::Computed(cells::ready_of_desired),
);

const DEPLOYMENT: &[Column] = &[
    NAME,
    READY_OF_DESIRED,
    col("Up-to-date", "integer", "Total number of non-terminated pods targeted by this deployment that have the desired template spec.", Cell::Int("/status/updatedReplicas")),
    col("Available", "integer", "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.", Cell::Int("/status/availableReplicas")),
    AGE,
    CONTAINERS,
    IMAGES,
    SELECTOR,
];

const REPLICA_SET: &[Column] = &[
    NAME,
    col(
        "Desired",
        "integer",
        "Replicas is the number of desired pods.",
        Cell::Computed(cells::desired),
    ),
    col(
        "Current",
        "integer",
        "Replicas is the most recently observed number of non-terminating pods.",
        Cell::Int("/status/replicas"),
    ),
    col(
        "Ready",
        "integer",
        "The number of non-terminating pods targeted by this ReplicaSet with a Ready Condition.",
        Cell::Int("/status/readyReplicas"),
    ),
    AGE,
    CONTAINERS,
    IMAGES,
    SELECTOR,
];

const STATEFUL_SET: &[Column] = &[NAME, READY_OF_DESIRED, AGE, CONTAINERS, IMAGES];

const DAEMON_SET: &[Column] = &[
    NAME,
    col("Desired", "integer", "The total number of nodes that should be running the daemon pod.", Cell::Int("/status/desiredNumberScheduled")),
    col("Current", "integer", "The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod.", Cell::Int("/status/currentNumberScheduled")),
    col("Ready", "integer", "The number of nodes that should be running the daemon pod and have one or more of the daemon pod running with a Ready Condition.", Cell::Int("/status/numberReady")),
    col("Up-to-date", "integer", "The total number of nodes that are running updated daemon pod.", Cell::Int("/status/updatedNumberScheduled")),
    col("Available", "integer", "The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available.", Cell::Int("/status/numberAvailable")),
    string_col("Node Selector", "NodeSelector is a selector which must be true for the pod to fit on a node.", Cell::Computed(cells::node_selector)),
    AGE,
    CONTAINERS,
    IMAGES,
    SELECTOR,
];

const POD: &[Column] = &[
    NAME,
    string_col("Ready", "The aggregate readiness state of this pod for accepting traffic.", Cell::Computed(pod::pod_ready)),
    string_col("Status", "The aggregate status of the containers in this pod.", Cell::Computed(pod::pod_status)),
    string_col("Restarts", "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.", Cell::Computed(pod::pod_restarts)),
    AGE,
    wide("IP", "podIP address allocated to the pod.", Cell::Text("/status/podIP", "<none>")),
    wide("Node", "NodeName indicates in which node this pod is scheduled.", Cell::Text("/spec/nodeName", "<none>")),
    wide("Nominated Node", "nominatedNodeName is set only when this pod preempts other pods on the node.", Cell::Text("/status/nominatedNodeName", "<none>")),
    wide("Readiness Gates", "If specified, all readiness gates will be evaluated for pod readiness.", Cell::Computed(pod::readiness_gates)),
];

const SERVICE: &[Column] = &[
    NAME,
    string_col("Type", "type determines how the Service is exposed.", Cell::Text("/spec/type", "ClusterIP")),
    string_col("Cluster-IP", "clusterIP is the IP address of the service.", Cell::Text("/spec/clusterIP", "<none>")),
    string_col("External-IP", "externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.", Cell::Computed(cells::external_ip)),
    string_col("Port(s)", "The list of ports that are exposed by this service.", Cell::Computed(cells::service_ports)),
    AGE,
    wide("Selector", "Route service traffic to pods with label keys and values matching this selector.", Cell::Computed(cells::service_selector)),
];

const CONFIG_MAP: &[Column] = &[
    NAME,
    string_col(
        "Data",
        "Data contains the configuration data.",
        Cell::Count(&["/data", "/binaryData"]),
    ),
    AGE,
];

const SECRET: &[Column] = &[
    NAME,
    string_col(
        "Type",
        "Used to facilitate programmatic handling of secret data.",
        Cell::Text("/type", "Opaque"),
    ),
    string_col(
        "Data",
        "Data contains the secret data.",
        Cell::Count(&["/data"]),
    ),
    AGE,
];

const NAMESPACE: &[Column] = &[
    NAME,
    string_col(
        "Status",
        "The status of the namespace",
        Cell::Text("/status/phase", ""),
    ),
    AGE,
];

const JOB: &[Column] = &[
    NAME,
    string_col(
        "Status",
        "Status of the job.",
        Cell::Computed(cells::job_status),
    ),
    string_col(
        "Completions",
        "The completed job replicas against desired",
        Cell::Computed(cells::job_completions),
    ),
    string_col(
        "Duration",
        "Time required to complete the job.",
        Cell::Computed(cells::job_duration),
    ),
    AGE,
    CONTAINERS,
    IMAGES,
    SELECTOR,
];

const CRON_JOB: &[Column] = &[
    NAME,
    string_col(
        "Schedule",
        "The schedule in Cron format.",
        Cell::Text("/spec/schedule", ""),
    ),
    string_col(
        "Timezone",
        "The time zone name for the given schedule.",
        Cell::Text("/spec/timeZone", "<none>"),
    ),
    col(
        "Suspend",
        "boolean",
        "This flag tells the controller to suspend subsequent executions.",
        Cell::Computed(cells::suspended),
    ),
    col(
        "Active",
        "integer",
        "A list of pointers to currently running jobs.",
        Cell::Count(&["/status/active"]),
    ),
    string_col(
        "Last Schedule",
        "Information when was the last time the job was successfully scheduled.",
        Cell::Computed(cells::last_schedule),
    ),
    AGE,
    wide(
        "Containers",
        "Names of each container in the template.",
        Cell::Computed(cells::cron_containers),
    ),
    wide(
        "Images",
        "Images referenced by each container in the template.",
        Cell::Computed(cells::cron_images),
    ),
    wide(
        "Selector",
        "A label query over pods that should match the pod count.",
        Cell::Computed(cells::cron_selector),
    ),
];

const INGRESS: &[Column] = &[
    NAME,
    string_col(
        "Class",
        "The name of the IngressClass resource that should be used",
        Cell::Text("/spec/ingressClassName", "<none>"),
    ),
    string_col(
        "Hosts",
        "Hosts that incoming requests are matched against before the ingress rule",
        Cell::Computed(cells::ingress_hosts),
    ),
    string_col(
        "Address",
        "Address is a list containing ingress points for the load-balancer",
        Cell::Computed(cells::ingress_address),
    ),
    string_col(
        "Ports",
        "Ports of TLS configurations that open",
        Cell::Computed(cells::ingress_ports),
    ),
    AGE,
];

const PERSISTENT_VOLUME_CLAIM: &[Column] = &[
    NAME,
    string_col("Status", "The phase of the claim.", Cell::Computed(cells::claim_status)),
    string_col("Volume", "volumeName is the binding reference to the PersistentVolume backing this claim.", Cell::Text("/spec/volumeName", "")),
    string_col("Capacity", "capacity represents the actual resources of the underlying volume.", Cell::Computed(cells::claim_capacity)),
    string_col("Access Modes", "accessModes contains the actual access modes the volume backing the PVC has.", Cell::Computed(cells::claim_access_modes)),
    string_col("StorageClass", "storageClassName is the name of the StorageClass required by the claim.", Cell::Text("/spec/storageClassName", "")),
    string_col("VolumeAttributesClass", "volumeAttributesClassName may be used to set the VolumeAttributesClass used by this claim.", Cell::Text("/spec/volumeAttributesClassName", "<unset>")),
    AGE,
    wide("VolumeMode", "volumeMode defines what type of volume is required by the claim.", Cell::Text("/spec/volumeMode", "<unset>")),
];

const EVENT: &[Column] = &[
    string_col("Last Seen", "The time at which the most recent occurrence of this event was recorded.", Cell::Computed(event::event_last_seen)),
    string_col("Type", "Type of this event (Normal, Warning), new types could be added in the future", Cell::Text("/type", "")),
    string_col("Reason", "This should be a short, machine understandable string that gives the reason for the transition into the object's current status.", Cell::Text("/reason", "")),
    string_col("Object", "The object that this event is about.", Cell::Computed(event::event_object)),
    wide("Subobject", "If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement.", Cell::Text("/involvedObject/fieldPath", "")),
    wide("Source", "The component reporting this event.", Cell::Computed(event::event_source)),
    string_col("Message", "A human-readable description of the status of this operation.", Cell::Computed(event::event_message)),
    wide("First Seen", "The time at which the event was first recorded.", Cell::Computed(event::event_first_seen)),
    wide("Count", "The number of times this event has occurred.", Cell::Computed(event::event_count)),
    Column {
        priority: 1,
        ..NAME
    },
];

const SERVICE_ACCOUNT: &[Column] = &[
    NAME,
    string_col("Secrets", "Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use.", Cell::Count(&["/secrets"])),
    AGE,
];

const LEASE: &[Column] = &[
    NAME,
    string_col(
        "Holder",
        "holderIdentity contains the identity of the holder of a current lease.",
        Cell::Text("/spec/holderIdentity", ""),
    ),
    AGE,
];

const BINDING: &[Column] = &[
    NAME,
    string_col("Role", "RoleRef can only reference a Role in the current namespace or a ClusterRole in the global namespace.", Cell::Computed(policy::binding_role)),
    AGE,
    wide("Users", "Users in the roleBinding", Cell::Computed(policy::binding_users)),
    wide("Groups", "Groups in the roleBinding", Cell::Computed(policy::binding_groups)),
    wide("ServiceAccounts", "ServiceAccounts in the roleBinding", Cell::Computed(policy::binding_service_accounts)),
];

const POD_DISRUPTION_BUDGET: &[Column] = &[
    NAME,
    string_col(
        "Min Available",
        "The minimum number of pods that must be available.",
        Cell::Computed(policy::min_available),
    ),
    string_col(
        "Max Unavailable",
        "The maximum number of pods that may be unavailable.",
        Cell::Computed(policy::max_unavailable),
    ),
    col(
        "Allowed Disruptions",
        "integer",
        "Calculated number of pods that may be disrupted at this time.",
        Cell::Int("/status/disruptionsAllowed"),
    ),
    AGE,
];

const NETWORK_POLICY: &[Column] = &[
    NAME,
    string_col(
        "Pod-Selector",
        "Selects the pods to which this NetworkPolicy object applies.",
        Cell::Computed(policy::pod_selector),
    ),
    AGE,
];

const STORAGE_CLASS: &[Column] = &[
    Column {
        cell: Cell::Computed(policy::storage_class_name),
        ..NAME
    },
    string_col("Provisioner", "Indicates the type of the provisioner.", Cell::Text("/provisioner", "")),
    string_col("ReclaimPolicy", "Dynamically provisioned PersistentVolumes of this storage class are created with this reclaimPolicy.", Cell::Text("/reclaimPolicy", "Delete")),
    string_col("VolumeBindingMode", "VolumeBindingMode indicates how PersistentVolumeClaims should be provisioned and bound.", Cell::Text("/volumeBindingMode", "Immediate")),
    string_col("AllowVolumeExpansion", "AllowVolumeExpansion shows whether the storage class allow volume expand", Cell::Computed(policy::allow_volume_expansion)),
    AGE,
];

const INGRESS_CLASS: &[Column] = &[
    NAME,
    string_col(
        "Controller",
        "Controller that is responsible for handling this class",
        Cell::Text("/spec/controller", ""),
    ),
    string_col(
        "Parameters",
        "A reference to a resource with additional parameters",
        Cell::Computed(policy::ingress_class_parameters),
    ),
    AGE,
];

const WEBHOOK_CONFIGURATION: &[Column] = &[
    NAME,
    col(
        "Webhooks",
        "integer",
        "Webhooks indicates the number of webhooks in the configuration.",
        Cell::Count(&["/webhooks"]),
    ),
    AGE,
];

const NAME_AND_CREATED: &[Column] = &[NAME, CREATED_AT];

/// What every other kind shows.
pub const DEFAULT: &[Column] = &[NAME, AGE];

/// The built-in kinds with their own columns, by (group, kind).
const KINDS: &[(&str, &str, &[Column])] = &[
    ("apps", "Deployment", DEPLOYMENT),
    ("apps", "ReplicaSet", REPLICA_SET),
    ("apps", "StatefulSet", STATEFUL_SET),
    ("apps", "DaemonSet", DAEMON_SET),
    ("", "Pod", POD),
    ("", "Service", SERVICE),
    ("", "ConfigMap", CONFIG_MAP),
    ("", "Secret", SECRET),
    ("", "Namespace", NAMESPACE),
    ("", "PersistentVolumeClaim", PERSISTENT_VOLUME_CLAIM),
    ("", "Event", EVENT),
    ("", "ServiceAccount", SERVICE_ACCOUNT),
    ("batch", "Job", JOB),
    ("batch", "CronJob", CRON_JOB),
    ("networking.k8s.io", "Ingress", INGRESS),
    ("coordination.k8s.io", "Lease", LEASE),
    (
        "apiextensions.k8s.io",
        "CustomResourceDefinition",
        NAME_AND_CREATED,
    ),
    ("rbac.authorization.k8s.io", "Role", NAME_AND_CREATED),
    ("rbac.authorization.k8s.io", "ClusterRole", NAME_AND_CREATED),
    ("rbac.authorization.k8s.io", "RoleBinding", BINDING),
    ("rbac.authorization.k8s.io", "ClusterRoleBinding", BINDING),
    ("policy", "PodDisruptionBudget", POD_DISRUPTION_BUDGET),
    ("networking.k8s.io", "NetworkPolicy", NETWORK_POLICY),
    ("networking.k8s.io", "IngressClass", INGRESS_CLASS),
    ("storage.k8s.io", "StorageClass", STORAGE_CLASS),
    (
        "admissionregistration.k8s.io",
        "ValidatingWebhookConfiguration",
        WEBHOOK_CONFIGURATION,
    ),
    (
        "admissionregistration.k8s.io",
        "MutatingWebhookConfiguration",
        WEBHOOK_CONFIGURATION,
    ),
];

/// The columns of a built-in kind (NAME and AGE for kinds without a printer of their own).
pub fn builtin(group: &str, kind: &str) -> &'static [Column] {
    KINDS
        .iter()
        .find(|(g, k, _)| *g == group && *k == kind)
        .map_or(DEFAULT, |(_, _, columns)| columns)
}
