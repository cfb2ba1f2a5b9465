#!/usr/bin/env python3
"""Writes src/registry/server/openapi.json, the OpenAPI 3.1 document the registry serves at
GET /openapi.json. Edit the routes here, run `python3 scripts/openapi-gen.py`, commit both;
tests/registry/openapi.rs checks the document against the router's routes, and
tests/registry/schemathesis.rs fuzzes the live registry from it."""
import json
import os
ref=lambda n: {"$ref": f"#/components/schemas/{n}"}
def js(schema): return {"content": {"application/vnd.schemaregistry.v1+json": {"schema": schema}, "application/json": {"schema": schema}}}
def ok(schema, desc="OK"): return {"description": desc, **js(schema)}
err={"description": "A Confluent error body", **js(ref("ErrorBody"))}
P=lambda name, where="query", t="string", req=False, desc=None, **kw: {"name": name, "in": where, "required": req or where=="path", "schema": {"type": t, **kw}, **({"description": desc} if desc else {})}
subject=P("subject","path",desc="The subject name")
version=P("version","path",desc="A version number (1 or more) or `latest`")
sid=P("id","path","integer",minimum=1,desc="A global schema id")
deleted=P("deleted",t="boolean",desc="Include soft-deleted items")
normalize=P("normalize",t="boolean",desc="Normalize the schema before registering or looking it up")
fmt=P("format",desc="`serialized` answers Protobuf as a base64 descriptor")
permanent=P("permanent",t="boolean",desc="Hard delete (after a soft delete)")
def op(opid, summary, params=(), body=None, resp=None, tags=("schemas",)):
    o={"operationId": opid, "summary": summary, "tags": list(tags), "parameters": list(params),
       "responses": {"200": resp or ok({}), "default": err}}
    if body: o["requestBody"]={"required": True, **js(body)}
    return o
paths={
 "/": {"get": op("root","Registry root (an empty object)",resp=ok({"type":"object"}),tags=("server",))},
 "/health": {"get": op("health","Ready to serve: `UP` once the store is read; 503 `STARTING` before",resp=ok(ref("Health")),tags=("server",))},
 "/metrics": {"get": {"operationId":"metrics","summary":"Prometheus text format","tags":["server"],"parameters":[],
    "responses":{"200":{"description":"Metrics","content":{"text/plain":{"schema":{"type":"string"}}}},"default":err}}},
 "/v1/metadata/id": {"get": op("metadataId","Confluent's ServerClusterId",resp=ok(ref("ServerClusterId")),tags=("server",))},
 "/schemas/types": {"get": op("schemaTypes","Schema types served",resp=ok({"type":"array","items":{"type":"string","enum":["JSON","PROTOBUF","AVRO"]}}))},
 "/schemas/ids/{id}": {"get": op("schemaById","The schema with this id",[sid,fmt],resp=ok(ref("SchemaById")))},
 "/schemas/ids/{id}/schema": {"get": op("rawSchemaById","The schema text alone",[sid,fmt],resp=ok({}))},
 "/schemas/ids/{id}/subjects": {"get": op("subjectsById","Subjects holding this id",[sid,deleted],resp=ok({"type":"array","items":{"type":"string"}}))},
 "/schemas/ids/{id}/versions": {"get": op("versionsById","Subject-versions holding this id",[sid,deleted],resp=ok({"type":"array","items":ref("SubjectVersionRef")}))},
 "/schemas/guids/{guid}": {"get": op("schemaByGuid","The schema with this GUID",[P("guid","path",desc="A schema GUID"),fmt],resp=ok(ref("SchemaById")))},
 "/subjects": {"get": op("subjects","Subjects with a live (or, with deleted, any) version",[deleted,P("subjectPrefix")],resp=ok({"type":"array","items":{"type":"string"}}),tags=("subjects",))},
 "/subjects/{subject}": {
   "post": op("lookup","The version of the subject holding this schema",[subject,deleted],ref("SchemaRequest"),ok(ref("SubjectVersion")),tags=("subjects",)),
   "delete": op("deleteSubject","Soft delete a subject (or, with permanent, hard delete it)",[subject,permanent],resp=ok({"type":"array","items":{"type":"integer"}}),tags=("subjects",))},
 "/subjects/{subject}/versions": {
   "get": op("versions","The subject's versions",[subject,deleted],resp=ok({"type":"array","items":{"type":"integer"}}),tags=("subjects",)),
   "post": op("register","Register a schema under the subject (its id when already there)",[subject],ref("SchemaRequest"),ok(ref("RegisterResponse")),tags=("subjects",))},
 "/subjects/{subject}/versions/{version}": {
   "get": op("version","One version of the subject",[subject,version,deleted,fmt],resp=ok(ref("SubjectVersion")),tags=("subjects",)),
   "delete": op("deleteVersion","Soft delete a version (or, with permanent, hard delete it)",[subject,version,permanent],resp=ok({"type":"integer"}),tags=("subjects",))},
 "/subjects/{subject}/versions/{version}/schema": {"get": op("rawVersion","One version's schema text alone",[subject,version,fmt],resp=ok({}),tags=("subjects",))},
 "/config": {
   "get": op("getGlobalConfig","The global compatibility level",resp=ok(ref("Config")),tags=("config",)),
   "put": op("putGlobalConfig","Set the global compatibility level",body=ref("ConfigUpdate"),resp=ok(ref("ConfigUpdate")),tags=("config",)),
   "delete": op("deleteGlobalConfig","Reset the global level to the default",resp=ok(ref("Config")),tags=("config",))},
 "/config/{subject}": {
   "get": op("getConfig","The subject's compatibility level",[subject,P("defaultToGlobal",t="boolean")],resp=ok(ref("Config")),tags=("config",)),
   "put": op("putConfig","Set the subject's compatibility level",[subject],ref("ConfigUpdate"),ok(ref("ConfigUpdate")),tags=("config",)),
   "delete": op("deleteConfig","Remove the subject's own level",[subject],resp=ok(ref("Config")),tags=("config",))},
 "/mode": {
   "get": op("getGlobalMode","The global mode",resp=ok(ref("Mode")),tags=("mode",)),
   "put": op("putGlobalMode","Set the global mode",[],ref("Mode"),ok(ref("Mode")),tags=("mode",))},
 "/mode/{subject}": {
   "get": op("getMode","The subject's mode",[subject,P("defaultToGlobal",t="boolean")],resp=ok(ref("Mode")),tags=("mode",)),
   "put": op("putMode","Set the subject's mode",[subject],ref("Mode"),ok(ref("Mode")),tags=("mode",))},
 "/compatibility/subjects/{subject}/versions/{version}": {"post": op("checkCompatibility","Is this schema compatible with that version",[subject,version,P("verbose",t="boolean")],ref("SchemaRequest"),ok(ref("CompatibilityResult")),tags=("compatibility",))},
 "/compatibility/subjects/{subject}/versions": {"post": op("checkCompatibilityAll","Is this schema compatible with the versions the level asks for",[subject,P("verbose",t="boolean")],ref("SchemaRequest"),ok(ref("CompatibilityResult")),tags=("compatibility",))},
 "/openapi.json": {"get": op("openapi","This document",resp=ok({"type":"object"}),tags=("server",))},
}
stype={"type":"string","enum":["AVRO","PROTOBUF","JSON"],"description":"Default AVRO (left out when AVRO)"}
levels=["BACKWARD","BACKWARD_TRANSITIVE","FORWARD","FORWARD_TRANSITIVE","FULL","FULL_TRANSITIVE","NONE"]
schemas={
 "ErrorBody":{"type":"object","required":["error_code","message"],"properties":{"error_code":{"type":"integer"},"message":{"type":"string"}}},
 "Reference":{"type":"object","required":["name","subject","version"],"properties":{"name":{"type":"string"},"subject":{"type":"string"},"version":{"type":"integer"}}},
 "SchemaRequest":{"type":"object","required":["schema"],"properties":{"schema":{"type":"string","description":"The schema text (Avro JSON, .proto text or a base64 descriptor)"},"schemaType":stype,"references":{"type":"array","items":ref("Reference")},"metadata":{},"ruleSet":{}}},
 "RegisterResponse":{"type":"object","required":["id"],"properties":{"id":{"type":"integer"},"guid":{"type":"string"}}},
 "SchemaById":{"type":"object","required":["schema"],"properties":{"schema":{"type":"string"},"schemaType":stype,"references":{"type":"array","items":ref("Reference")},"guid":{"type":"string"}}},
 "SubjectVersion":{"type":"object","required":["subject","version","id","schema"],"properties":{"subject":{"type":"string"},"version":{"type":"integer"},"id":{"type":"integer"},"schema":{"type":"string"},"schemaType":stype,"references":{"type":"array","items":ref("Reference")},"guid":{"type":"string"},"deleted":{"type":"boolean"}}},
 "SubjectVersionRef":{"type":"object","required":["subject","version"],"properties":{"subject":{"type":"string"},"version":{"type":"integer"}}},
 "Config":{"type":"object","required":["compatibilityLevel"],"properties":{"compatibilityLevel":{"type":"string","enum":levels}}},
 "ConfigUpdate":{"type":"object","required":["compatibility"],"properties":{"compatibility":{"type":"string","enum":levels}}},
 "Mode":{"type":"object","required":["mode"],"properties":{"mode":{"type":"string","enum":["READWRITE","READONLY","IMPORT"]}}},
 "CompatibilityResult":{"type":"object","required":["is_compatible"],"properties":{"is_compatible":{"type":"boolean"},"messages":{"type":"array","items":{"type":"string"}}}},
 "Health":{"type":"object","required":["status"],"properties":{"status":{"type":"string","enum":["UP","STARTING"]},"ready":{"type":"boolean"},"leader":{"type":"boolean"},"leader_url":{"type":["string","null"]}}},
 "ServerClusterId":{"type":"object","required":["scope"],"properties":{"scope":{"type":"object","properties":{"path":{"type":"array","items":{"type":"string"}},"clusters":{"type":"object","additionalProperties":{"type":"string"}}}}}},
}
# Links for stateful testing: what a registration returns feeds the reads of it.
reg=paths["/subjects/{subject}/versions"]["post"]["responses"]["200"]
reg["links"]={
  "SchemaById":{"operationId":"schemaById","parameters":{"id":"$response.body#/id"}},
  "RawSchemaById":{"operationId":"rawSchemaById","parameters":{"id":"$response.body#/id"}},
  "SubjectsById":{"operationId":"subjectsById","parameters":{"id":"$response.body#/id"}},
  "VersionsById":{"operationId":"versionsById","parameters":{"id":"$response.body#/id"}},
  "Versions":{"operationId":"versions","parameters":{"subject":"$request.path.subject"}},
  "Latest":{"operationId":"version","parameters":{"subject":"$request.path.subject","version":"latest"}},
  "DeleteSubject":{"operationId":"deleteSubject","parameters":{"subject":"$request.path.subject"}},
}
doc={"openapi":"3.1.0","info":{"title":"schemaflow schema registry","version":"1","description":"The Confluent Schema Registry REST API as schemaflow's registry implements it. Errors are Confluent's bodies: {\"error_code\", \"message\"}."},
 "paths":paths,"components":{"schemas":schemas}}
open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "registry", "server", "openapi.json"),"w").write(json.dumps(doc,indent=2)+"\n")
