// Validates Strimzi resources against Strimzi's own schemas (the models generated from its
// CRDs): reads a JSON array of resources on stdin, prints one line per invalid resource and
// exits 1 when there is any. Used by `csods deploy check` (deploy/local/manifests.py).
import { KafkaTopic } from "@kubernetes-models/strimzi-kafka-operator/kafka.strimzi.io/v1beta2/KafkaTopic";
import { KafkaUser } from "@kubernetes-models/strimzi-kafka-operator/kafka.strimzi.io/v1beta2/KafkaUser";

const models = { KafkaTopic, KafkaUser };
const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const resources = JSON.parse(Buffer.concat(chunks).toString("utf8"));

let invalid = 0;
for (const resource of resources) {
  const Model = models[resource.kind];
  const name = `${resource.kind} ${resource.metadata?.name ?? "(no name)"}`;
  if (Model === undefined || resource.apiVersion !== Model.apiVersion) {
    console.log(`${name}: not a kafka.strimzi.io/v1beta2 KafkaTopic or KafkaUser`);
    invalid += 1;
    continue;
  }
  try {
    new Model(resource).validate();
  } catch (error) {
    console.log(`${name}: ${error.message}`);
    invalid += 1;
  }
}
console.log(`${resources.length} Strimzi resources, ${invalid} invalid`);
process.exit(invalid === 0 ? 0 : 1);
