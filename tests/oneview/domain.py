"""The appliance's alerts, labels, logical interconnects and their groups, logical
enclosures' firmware, and backups.

A mixin of ``Appliance`` (tests/oneview/appliance.py), kept apart to keep each file
readable. A logical interconnect is CONSISTENT when its internal networks, Ethernet
settings and uplink sets equal its group's (inventory.BASELINE_KEYS); editing one of
them on an LI, or updating the group, makes it NOT_CONSISTENT; "update from group" (PUT
.../compliance) copies the group's back.

An LI's uplink sets are only ``/rest/uplink-sets`` resources (as on the appliance: FC
networks in ``fcNetworkUris``, created by POST, changed by PUT with their eTag, removed
by DELETE; the LI's own body lists none). Firmware is not the LIG's: the baseline is the
logical enclosure's ``firmware`` (``PATCH /rest/logical-enclosures/{id}``, op replace
``/firmware``), and what an LI runs is ``GET/PUT .../firmware`` (kept in ``li_spp``).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping

from .common import SEVERITY, ApiError, Reply, now_iso
from .inventory import BASELINE_KEYS, baseline_of, uid

LI_SECTIONS = ("ethernetSettings", "internalNetworks", "firmware")
FIRMWARE_UPDATE_ON = ("EnclosureOnly", "SharedInfrastructureOnly", "SharedInfrastructureAndServerProfiles")
LABEL_QUERY = re.compile(r"""\s*"?\s*labels\s*[=:]\s*'?([^'"]+)'?\s*"?\s*""")


class DomainMixin:
    """Uses the Appliance's state (res, labels, puts) and helpers (touch, resolve,
    existing, check_etag, start_task, page)."""

    # --- alerts and labels ---------------------------------------------------------

    def raise_alert(self, target: dict, severity: str, description: str) -> dict:
        self.alert_seq += 1
        alert = {
            "type": "AlertResourceV3",
            "uri": f"/rest/alerts/{self.alert_seq}",
            "category": "alerts",
            "name": None,
            "resourceUri": target["uri"],
            "severity": severity,
            "alertState": "Active",
            "description": description,
            "correctiveAction": "Contact support.",
            "healthCategory": "Processor",
            "urgency": "High" if severity == "Critical" else "Low",
            "lifeCycle": False,
            "associatedResource": {
                "resourceUri": target["uri"],
                "resourceName": target["name"],
                "resourceCategory": target["category"],
                "associationType": "HAS_A",
            },
            "created": now_iso(),
            "modified": now_iso(),
            "eTag": "1",
        }
        self.res["alerts"][alert["uri"]] = alert
        if SEVERITY.get(severity, 0) > SEVERITY.get(target.get("status", "OK"), 0):
            target["status"] = severity
            self.touch(target)
        return alert

    def clear_alert(self, alert: dict) -> None:
        alert["alertState"] = "Cleared"
        self.touch(alert)
        target = self.resolve(alert["resourceUri"])
        active = [
            a["severity"]
            for a in self.res["alerts"].values()
            if a["resourceUri"] == target["uri"] and a["alertState"] == "Active"
        ]
        target["status"] = max(active, key=lambda s: SEVERITY.get(s, 0), default="OK")
        self.touch(target)

    def put_alert(self, rid: str, *, headers: Mapping[str, str], body: object, **_: object) -> Reply:
        alert = self.existing("alerts", rid)
        self.puts[alert["uri"]] += 1
        self.check_etag(alert, body, headers)
        state = body.get("alertState") if isinstance(body, dict) else None
        if state not in ("Cleared", "Active", "Locked"):
            raise ApiError(
                400, "INVALID_ALERT_STATE", f"alertState {state!r} is not one the appliance accepts."
            )
        if state == "Cleared":
            self.clear_alert(alert)
        return Reply(200, alert)

    def labelled(self, resource_uri: str) -> dict:
        names = self.labels.get(resource_uri, [])
        by_name = {lab["name"]: lab for lab in self.res["labels"].values()}
        return {
            "type": "ResourceLabels",
            "category": "resource-labels",
            "resourceUri": resource_uri,
            "uri": f"/rest/labels/resources{resource_uri}",
            "labels": [{"name": n, "uri": by_name[n]["uri"]} for n in names],
        }

    def set_labels(self, resource_uri: str, body: object) -> dict:
        if not isinstance(body, dict) or not isinstance(body.get("labels"), list):
            raise ApiError(400, "INVALID_LABELS", "The body must name resourceUri and labels.")
        self.resolve_or_400(resource_uri)
        names: list[str] = []
        for lab in body["labels"]:
            name = lab.get("name") if isinstance(lab, dict) else None
            if not isinstance(name, str) or not name:
                raise ApiError(400, "INVALID_LABELS", "Every label needs a name.")
            if name not in names:
                names.append(name)
            if not any(x["name"] == name for x in self.res["labels"].values()):
                lid = str(len(self.res["labels"]) + 1)
                self.res["labels"][f"/rest/labels/{lid}"] = {
                    "type": "LabelV2",
                    "uri": f"/rest/labels/{lid}",
                    "category": "labels",
                    "name": name,
                    "eTag": "1",
                    "created": now_iso(),
                    "modified": now_iso(),
                }
        self.puts[resource_uri] += 1
        self.labels[resource_uri] = names
        return self.labelled(resource_uri)

    def resolve_or_400(self, uri: str) -> dict:
        try:
            return self.resolve(uri)
        except KeyError:
            raise ApiError(400, "INVALID_RESOURCE_URI", f"No resource {uri}.") from None

    def post_labels(self, *, body: object, **_: object) -> Reply:
        uri = body.get("resourceUri") if isinstance(body, dict) else None
        if not isinstance(uri, str):
            raise ApiError(400, "INVALID_LABELS", "The body must name resourceUri and labels.")
        return Reply(200, self.set_labels(uri, body))

    def get_labels(self, uri: str, **_: object) -> Reply:
        uri = "/" + uri.lstrip("/")  # the SDKs send /rest/labels/resources//rest/...
        self.resolve_or_400(uri)
        return Reply(200, self.labelled(uri))

    def put_labels(self, uri: str, *, body: object, **_: object) -> Reply:
        return Reply(200, self.set_labels("/" + uri.lstrip("/"), body))

    # --- logical interconnects and their groups --------------------------------------

    def group_of(self, li: dict) -> dict:
        return self.res["logical-interconnect-groups"][li["logicalInterconnectGroupUri"]]

    def reconcile(self, li: dict) -> None:
        same = comparable(self.li_parts(li)) == comparable(self.group_of(li))
        status = "CONSISTENT" if same else "NOT_CONSISTENT"
        if li["consistencyStatus"] != status:
            li["consistencyStatus"] = status
            self.touch(li)

    def li_parts(self, li: dict) -> dict:
        """The LI's parts in its group's shape: its uplink sets from /rest/uplink-sets."""
        mine = [u for u in self.res["uplink-sets"].values() if u["logicalInterconnectUri"] == li["uri"]]
        return {"internalNetworkUris": li["internalNetworkUris"], "ethernetSettings": li["ethernetSettings"],
                "uplinkSets": [group_shape(u) for u in mine]}

    def flash(self, li: dict, spp_uri: str) -> None:
        """The LI's modules now run that SPP (an LI firmware update, or its LE's)."""
        self.li_spp[li["uri"]] = spp_uri
        version = self.res["firmware-drivers"][spp_uri]["version"]
        for uri in li.get("interconnects", []):
            ic = self.res["interconnects"][uri]
            if ic["firmwareVersion"] != version:
                ic["firmwareVersion"] = version
                self.touch(ic)

    def get_port_statistics(self, rid: str, port: str, **_: object) -> Reply:
        """GET /rest/interconnects/{id}/statistics/{portName}: one port's counters."""
        ic = self.existing("interconnects", rid)
        found = next((p for p in ic["ports"] if p["portName"] == port), None)
        if found is None:
            raise ApiError(404, "RESOURCE_NOT_FOUND", f"No port {port} on {ic['name']}.")
        return Reply(200, {
            "type": "PortStatisticsV2",
            "uri": f"{ic['uri']}/statistics/{port}",
            "commonStatistics": {
                "rfc1213IfInErrors": str(found["rxErrors"]),
                "rfc1213IfOutErrors": str(found["txErrors"]),
            },
        })

    def li_change(self, li: dict, section: str, body: object) -> tuple[str, object]:
        """The baseline part a PUT to .../{section} sets, and its new value."""
        if section == "internalNetworks":
            known = self.res["ethernet-networks"]
            if not isinstance(body, list) or any(uri not in known for uri in body):
                raise ApiError(400, "INVALID_NETWORK_URI", "The body must list ethernet network uris.")
            return "internalNetworkUris", list(body)
        if section == "firmware":
            spp = body.get("sppUri") if isinstance(body, dict) else None
            if spp not in self.res["firmware-drivers"] or body.get("command", "Update") not in (
                "Update", "Stage", "Activate"
            ):
                raise ApiError(400, "INVALID_FIRMWARE_REQUEST", f"No firmware baseline {spp!r}.")
            return "firmware", spp
        if not isinstance(body, dict):
            raise ApiError(400, "INVALID_ETHERNET_SETTINGS", "The body must be the Ethernet settings.")
        return "ethernetSettings", {
            k: copy.deepcopy(body.get(k, v)) for k, v in li["ethernetSettings"].items()
        }

    def put_li_section(self, rid: str, section: str, *, body: object, **_: object) -> Reply:
        li = self.existing("logical-interconnects", rid)
        if section not in LI_SECTIONS:
            raise ApiError(404, "RESOURCE_NOT_FOUND", f"The resource {li['uri']}/{section} was not found.")
        self.puts[li["uri"]] += 1
        key, value = self.li_change(li, section, body)

        def effect() -> None:
            if key == "firmware":
                self.flash(li, str(value))
            else:
                li[key] = value
            self.touch(li)
            self.reconcile(li)

        task = self.start_task(f"Update {section}", "li-update", li, effect)
        return Reply(202, task, {"Location": task["uri"]})

    def get_li_firmware(self, rid: str, **_: object) -> Reply:
        """GET .../firmware (oneview-golang's ``Firmware``): the SPP the LI was last updated to."""
        li = self.existing("logical-interconnects", rid)
        spp = self.res["firmware-drivers"][self.li_spp[li["uri"]]]
        return Reply(
            200,
            {
                "type": "LIFirmwareV4",
                "uri": f"{li['uri']}/firmware",
                "command": "Update",
                "state": "Activated",
                "sppUri": spp["uri"],
                "sppName": spp["name"],
                "interconnects": [
                    {"interconnectUri": u, "interconnectName": self.res["interconnects"][u]["name"],
                     "installedFw": self.res["interconnects"][u]["firmwareVersion"], "sppUri": spp["uri"]}
                    for u in li.get("interconnects", [])
                ],
            },
        )

    def put_compliance(self, rid: str, **_: object) -> Reply:
        li = self.existing("logical-interconnects", rid)
        self.puts[li["uri"]] += 1

        def effect() -> None:
            group = self.group_of(li)
            li.update(copy.deepcopy({k: group[k] for k in ("internalNetworkUris", "ethernetSettings")}))
            self.touch(li)
            self.publish_uplinks(li, group["uplinkSets"])
            self.reconcile(li)

        task = self.start_task("Update from group", "compliance", li, effect)
        return Reply(202, task, {"Location": task["uri"]})

    def put_lig(self, rid: str, *, headers: Mapping[str, str], body: object, **_: object) -> Reply:
        lig = self.existing("logical-interconnect-groups", rid)
        self.puts[lig["uri"]] += 1
        if not isinstance(body, dict):
            raise ApiError(400, "INVALID_JSON", "The body must be the logical interconnect group.")
        self.check_etag(lig, body, headers)
        self.check_lig_parts(body)
        # a field the LIG does not have (a "firmware" baseline: that is the logical
        # enclosure's) is dropped, not kept: GET answers without it
        changes = {k: copy.deepcopy(body[k]) for k in (*BASELINE_KEYS, "name", "description") if k in body}
        self.touch(lig)

        def effect() -> None:
            lig.update(changes)
            self.touch(lig)
            for li in self.res["logical-interconnects"].values():
                if li["logicalInterconnectGroupUri"] == lig["uri"]:
                    self.reconcile(li)

        task = self.start_task("Update", "lig-update", lig, effect)
        return Reply(202, task, {"Location": task["uri"]})

    def check_lig_parts(self, body: dict) -> None:
        """A group's networks and its uplink sets' networks must exist."""
        eth, fc = self.res["ethernet-networks"], self.res["fc-networks"]
        if any(u not in eth for u in body.get("internalNetworkUris") or []):
            raise ApiError(400, "INVALID_NETWORK_URI", "internalNetworkUris must list ethernet network uris.")
        for uplink in body.get("uplinkSets") or []:
            known = fc if uplink.get("networkType") == "FibreChannel" else eth
            unknown = [u for u in uplink.get("networkUris") or [] if u not in known]
            if unknown:
                code = "INVALID_FC_NETWORK_URI" if known is fc else "INVALID_NETWORK_URI"
                raise ApiError(400, code, f"Uplink set {uplink.get('name')}: no network {unknown[0]}.")

    # --- logical enclosures: the firmware baseline ------------------------------------------

    def patch_le(self, rid: str, *, headers: Mapping[str, str], body: object, **_: object) -> Reply:
        """PATCH /rest/logical-enclosures/{id} ``[{"op": "replace", "path": "/firmware",
        "value": {...}}]`` (the SDKs' only LE patch): its firmware baseline, and unless
        ``firmwareUpdateOn`` is EnclosureOnly, its LIs updated to that SPP."""
        le = self.existing("logical-enclosures", rid)
        self.puts[le["uri"]] += 1
        self.check_etag(le, None, headers)
        ops = body if isinstance(body, list) else []
        if len(ops) != 1 or not isinstance(ops[0], dict) or (ops[0].get("op"), ops[0].get("path")) != (
            "replace", "/firmware"
        ):
            raise ApiError(400, "INVALID_PATCH_REQUEST", "Only op replace of /firmware is supported.")
        value = ops[0].get("value")
        value = value if isinstance(value, dict) else {}
        spp = value.get("firmwareBaselineUri")
        if spp not in self.res["firmware-drivers"]:
            raise ApiError(400, "INVALID_FIRMWARE_BASELINE", f"No firmware baseline {spp!r}.")
        if value.get("firmwareUpdateOn") not in FIRMWARE_UPDATE_ON:
            raise ApiError(400, "INVALID_FIRMWARE_UPDATE_ON", f"firmwareUpdateOn: {FIRMWARE_UPDATE_ON}.")
        firmware = {**le["firmware"], **copy.deepcopy(value)}

        def effect() -> None:
            le["firmware"] = firmware
            self.touch(le)
            if firmware["firmwareUpdateOn"] != "EnclosureOnly":
                for uri in le["logicalInterconnectUris"]:
                    self.flash(self.res["logical-interconnects"][uri], str(spp))

        task = self.start_task("Update firmware", "le-firmware", le, effect)
        return Reply(202, task, {"Location": task["uri"]})

    # --- uplink sets (/rest/uplink-sets) ------------------------------------------------

    def publish_uplinks(self, li: dict, listed_sets: list[dict]) -> None:
        """The LI's /rest/uplink-sets resources made as its group lists them (one left
        as it is keeps its eTag)."""
        sets = self.res.setdefault("uplink-sets", {})
        mine = {u["name"]: u for u in sets.values() if u["logicalInterconnectUri"] == li["uri"]}
        for listed in listed_sets:
            have = mine.pop(listed["name"], None)
            if have is not None and group_shape(have) == group_shape(listed):
                continue
            if have is not None:
                del sets[have["uri"]]
            self.new_uplink(listed, li)
        for gone in mine.values():
            del sets[gone["uri"]]

    def new_uplink(self, fields: dict, li: dict) -> None:
        self.etag_seq += 1
        made = resource_shape(fields, li, uid("uplink-set", li["uri"], fields["name"]), str(self.etag_seq))
        self.res["uplink-sets"][made["uri"]] = made

    def collect_uplinks(self, li: dict) -> None:
        """After one of its uplink sets changed: the LI's eTag and consistency."""
        self.touch(li)
        self.reconcile(li)

    def check_uplink_set(self, body: object, li: dict, keep: dict | None = None) -> dict:
        """The fields of a valid uplink set body for ``li``; 400 with the appliance's kind
        of errorCode otherwise (an unknown network or FC network is refused)."""
        if not isinstance(body, dict) or not isinstance(body.get("name"), str) or not body["name"]:
            raise ApiError(400, "INVALID_UPLINK_SET", "The uplink set needs a name.")
        kind = body.get("networkType")
        if kind not in ("Ethernet", "FibreChannel"):
            raise ApiError(400, "INVALID_NETWORK_TYPE", f"networkType {kind!r}: Ethernet or FibreChannel.")
        eth, fc = list(body.get("networkUris") or []), list(body.get("fcNetworkUris") or [])
        if any(u not in self.res["ethernet-networks"] for u in eth):
            raise ApiError(400, "INVALID_NETWORK_URI", "networkUris must list ethernet network uris.")
        if any(u not in self.res["fc-networks"] for u in fc):
            raise ApiError(
                400,
                "INVALID_FC_NETWORK_URI",
                f"No FC network {next(u for u in fc if u not in self.res['fc-networks'])}.",
                "Create the FC network first.",
            )
        if kind == "FibreChannel" and (eth or len(fc) != 1):
            raise ApiError(
                400, "INVALID_FC_UPLINK_SET", "A FibreChannel uplink set carries exactly one FC network."
            )
        if kind == "Ethernet" and fc:
            raise ApiError(400, "INVALID_NETWORK_URI", "An Ethernet uplink set carries no FC network.")
        taken = {
            u["name"]
            for u in self.res["uplink-sets"].values()
            if u["logicalInterconnectUri"] == li["uri"] and u is not keep
        }
        if body["name"] in taken:
            raise ApiError(400, "DUPLICATE_UPLINK_SET_NAME", f"{li['name']} has one named {body['name']}.")
        return {
            "name": body["name"],
            "networkType": kind,
            "networkUris": eth,
            "fcNetworkUris": fc,
            # the ports as the resource has them (a LIG's logicalPortConfigInfos is not kept)
            "portConfigInfos": copy.deepcopy(body.get("portConfigInfos") or []),
        }

    def post_uplink_set(self, *, body: object, **_: object) -> Reply:
        uri = body.get("logicalInterconnectUri") if isinstance(body, dict) else None
        li = self.res["logical-interconnects"].get(str(uri))
        if li is None:
            raise ApiError(400, "INVALID_LOGICAL_INTERCONNECT_URI", f"No logical interconnect {uri}.")
        fields = self.check_uplink_set(body, li)
        self.puts[li["uri"]] += 1

        def effect() -> None:
            self.new_uplink(fields, li)
            self.collect_uplinks(li)

        task = self.start_task("Create uplink set", "li-update", li, effect)
        return Reply(202, task, {"Location": task["uri"]})

    def put_uplink_set(self, rid: str, *, headers: Mapping[str, str], body: object, **_: object) -> Reply:
        found = self.existing("uplink-sets", rid)
        self.puts[found["uri"]] += 1
        self.check_etag(found, body, headers)
        li = self.res["logical-interconnects"][found["logicalInterconnectUri"]]
        fields = self.check_uplink_set(body, li, keep=found)

        def effect() -> None:
            found.update(resource_shape(fields, li, found["uri"].rsplit("/", 1)[1], found["eTag"]))
            self.touch(found)
            self.collect_uplinks(li)

        task = self.start_task("Update uplink set", "li-update", found, effect)
        return Reply(202, task, {"Location": task["uri"]})

    def delete_uplink_set(self, rid: str, **_: object) -> Reply:
        found = self.existing("uplink-sets", rid)
        li = self.res["logical-interconnects"][found["logicalInterconnectUri"]]
        self.puts[li["uri"]] += 1

        def effect() -> None:
            self.res["uplink-sets"].pop(found["uri"], None)
            self.collect_uplinks(li)

        task = self.start_task("Delete uplink set", "li-update", li, effect)
        return Reply(202, task, {"Location": task["uri"]})

    # --- backups and the index ---------------------------------------------------------

    def post_backup(self, **_: object) -> Reply:
        """A new backup replaces the last: the appliance keeps one backup file."""
        self.backup_seq += 1
        n = self.backup_seq
        self.res["backups"].clear()
        backup = {
            "type": "BackupFileV3",
            "uri": f"/rest/backups/backup-{n}",
            "category": "backups",
            "name": f"appliance-backup-{n}",
            "id": f"backup-{n}",
            "status": "InProgress",
            "backupType": "FULL",
            "created": now_iso(),
            "modified": now_iso(),
            "eTag": "1",
            "downloadUri": f"/rest/backups/archive/backup-{n}",
        }
        self.res["backups"][backup["uri"]] = backup

        def effect() -> None:
            backup["status"] = "Succeeded"
            self.touch(backup)

        def undo() -> None:
            backup["status"] = "Failed"
            self.touch(backup)

        task = self.start_task("Create backup", "backup", backup, effect, undo)
        return Reply(202, task, {"Location": task["uri"]})

    def get_node_version(self, **_: object) -> Reply:
        return Reply(
            200,
            {
                "type": "ApplianceNodeInfoVersion",
                "uri": "/rest/appliance/nodeinfo/version",
                "softwareVersion": "6.60.05-0486631",
                "modelNumber": "HPE OneView VM - emulator",
            },
        )

    def get_index(self, *, query: Mapping[str, list[str]], **_: object) -> Reply:
        """/rest/index/resources?category=...&query=labels='name': what carries a label."""
        wanted = set(query.get("category", [])) or set(self.res)
        label = None
        for text in query.get("query", []):
            m = LABEL_QUERY.fullmatch(text)
            if m is None:
                raise ApiError(
                    400, "INVALID_QUERY", f"The emulator only answers labels queries, not {text!r}."
                )
            label = m.group(1)
        members = []
        for uri, names in self.labels.items():
            item = self.resolve(uri)
            if item["category"] in wanted and (label is None or label in names):
                members.append(
                    {
                        "type": "IndexResourceV300",
                        "uri": uri,
                        "name": item["name"],
                        "category": item["category"],
                        "attributes": {"labels": list(names)},
                    }
                )
        return Reply(200, self.page(members, "/rest/index/resources", "index-resources", query))


def group_shape(uplink: dict) -> dict:
    """An uplink set (/rest/uplink-sets) as a LIG lists it (and consistency compares it):
    every network, Ethernet or FC, in ``networkUris``; its ports by bay and port."""
    ports = []
    for info in uplink.get("portConfigInfos") or []:
        where = {e["type"]: e["value"] for e in info["location"]["locationEntries"]}
        port = {"logicalLocation": {"bay": int(where["Bay"]), "port": where["Port"]},
                "desiredSpeed": info.get("desiredSpeed", "Auto")}
        if port not in ports:  # the same bay and port of each enclosure of the LI
            ports.append(port)
    return {
        "name": uplink["name"],
        "networkType": uplink["networkType"],
        "networkUris": [*uplink.get("networkUris", []), *uplink.get("fcNetworkUris", [])],
        "logicalPortConfigInfos": ports,
    }


def port_configs(listed: dict, li: dict) -> list[dict]:
    """A LIG uplink set's logical ports as an LI's uplink set has them: one per
    enclosure, located by Enclosure, Bay and Port (oneview-golang ``PortConfigInfos``)."""
    return [
        {
            "desiredSpeed": info.get("desiredSpeed", "Auto"),
            "expectedNeighbor": None,
            "portUri": None,
            "location": {"locationEntries": [
                {"type": "Enclosure", "value": enclosure},
                {"type": "Bay", "value": str(info["logicalLocation"]["bay"])},
                {"type": "Port", "value": info["logicalLocation"]["port"]},
            ]},
        }
        for enclosure in li["enclosureUris"]
        for info in listed.get("logicalPortConfigInfos") or []
    ]


def resource_shape(uplink: dict, li: dict, rid: str, etag: str) -> dict:
    """An uplink set of ``li`` as GET /rest/uplink-sets/{id} answers it."""
    fc = uplink["networkType"] == "FibreChannel"
    nets = list(uplink.get("fcNetworkUris") or []) + list(uplink.get("networkUris") or [])
    return {
        "type": "uplink-setV7",
        "uri": f"/rest/uplink-sets/{rid}",
        "category": "uplink-sets",
        "name": uplink["name"],
        "logicalInterconnectUri": li["uri"],
        "networkType": uplink["networkType"],
        "ethernetNetworkType": "NotApplicable" if fc else "Tagged",
        "networkUris": [] if fc else nets,
        "fcNetworkUris": nets if fc else [],
        "fcoeNetworkUris": [],
        "portConfigInfos": copy.deepcopy(
            uplink["portConfigInfos"] if "portConfigInfos" in uplink else port_configs(uplink, li)
        ),
        "connectionMode": "Auto",
        "manualLoginRedistributionState": "Supported" if fc else "NotSupported",
        "reachability": "Reachable",
        "status": "OK",
        "state": "Normal",
        "eTag": etag,
        "created": now_iso(),
        "modified": now_iso(),
    }


def comparable(resource: dict) -> dict:
    """The baseline parts as consistency compares them: uplink sets in any order."""
    parts = copy.deepcopy(baseline_of(resource))
    parts["uplinkSets"] = sorted(
        ({**u, "networkUris": sorted(u.get("networkUris", []))} for u in parts["uplinkSets"]),
        key=lambda u: u["name"],
    )
    parts["internalNetworkUris"] = sorted(parts["internalNetworkUris"])
    return parts
