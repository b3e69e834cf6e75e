"""The emulated appliance's inventory, built from a compact spec.

A ``Spec`` names enclosure groups (each with its logical interconnect group), enclosures
with N bays of server hardware, existing server profiles, and the networks. ``build(spec)``
turns it into the resource dicts the appliance serves, shaped like OneView's
(API 2400 field names; see tests/oneview/README.md for where the shapes come from).

Each enclosure gets its own logical enclosure and logical interconnect (c-Class with
Virtual Connect: one VC domain per enclosure; the LIG is the domain group's network
baseline, the logical enclosure's ``firmware`` its firmware baseline).
Building is linear and cheap: 1,000 bays take a few milliseconds.
"""

from __future__ import annotations

import copy
import uuid as uuidlib
import zlib
from dataclasses import dataclass, field

# serverHardwareType name -> model; the types the default specs use
HARDWARE_TYPES = {
    "BL460c Gen10 1": "ProLiant BL460c Gen10",
    "BL460c Gen9 1": "ProLiant BL460c Gen9",
    "SY 480 Gen10 1": "Synergy 480 Gen10",
}
NAMESPACE = uuidlib.uuid5(uuidlib.NAMESPACE_URL, "bayops-test/oneview")
BASE_SPP = "/rest/firmware-drivers/spp-2023-03-0"  # every LE's baseline and LI's SPP at build


@dataclass(frozen=True)
class GroupSpec:
    name: str  # enclosure group
    lig: str  # its logical interconnect group


@dataclass(frozen=True)
class EnclosureSpec:
    name: str
    group: str  # an enclosure group name
    bays: int = 8
    hardware_type: str = "BL460c Gen10 1"
    other_types: dict[int, str] = field(default_factory=dict)  # bay -> another hardware type
    power: str = "Off"  # of the bays without a profile
    joins: str | None = None  # an enclosure whose logical enclosure (and LI) this one is also in
    frame: str = "C7000"  # its enclosureType: "SY12000" is a Synergy frame (device bays E-Fuse)


@dataclass(frozen=True)
class ProfileSpec:
    name: str
    enclosure: str | None  # None: an unassigned profile (then bay is ignored)
    bay: int = 0
    networks: tuple[str, ...] = ("prod-a", "prod-b")
    fabrics: tuple[str, ...] = ("fabric-a", "fabric-b")
    virtual: bool = True  # virtual MACs/WWPNs/serial, else the hardware's physical ones
    power: str = "On"
    group: str | None = None  # enclosure group of an unassigned profile
    hardware_type: str | None = None  # of an unassigned profile


@dataclass(frozen=True)
class Spec:
    groups: tuple[GroupSpec, ...]
    enclosures: tuple[EnclosureSpec, ...]
    profiles: tuple[ProfileSpec, ...] = ()
    ethernet_networks: tuple[tuple[str, int], ...] = (("prod-a", 101), ("prod-b", 102), ("mgmt", 10))
    fc_networks: tuple[str, ...] = ("fabric-a", "fabric-b")
    firmware: tuple[str, ...] = ("SPP 2023.03.0", "SPP 2024.01.0")


def small_spec() -> Spec:
    """Three enclosures in EG-A (LIG-A, 8+4+4 bays of BL460c Gen10, but bay 8 of enc-a1 a
    Gen9), one in EG-B (a Synergy frame; LIG-B, 4 bays of Synergy 480, but bay 4 a BL460c Gen10); six
    profiles: web-001, web-002 (enc-a1 bays 1-2), db-001, legacy-001 (physical
    identities; enc-a2 bays 1-2), syn-001 (enc-b1 bay 1), parked-001 (unassigned). The
    profiles' blades are On, the rest Off."""
    return Spec(
        groups=(GroupSpec("EG-A", "LIG-A"), GroupSpec("EG-B", "LIG-B")),
        enclosures=(
            EnclosureSpec("enc-a1", "EG-A", 8, other_types={8: "BL460c Gen9 1"}),
            EnclosureSpec("enc-a2", "EG-A", 4),
            EnclosureSpec("enc-a3", "EG-A", 4),
            EnclosureSpec(
                "enc-b1", "EG-B", 4, hardware_type="SY 480 Gen10 1", other_types={4: "BL460c Gen10 1"},
                frame="SY12000",
            ),
        ),
        profiles=(
            ProfileSpec("web-001", "enc-a1", 1),
            ProfileSpec("web-002", "enc-a1", 2),
            ProfileSpec("db-001", "enc-a2", 1, networks=("prod-a",), fabrics=("fabric-a", "fabric-b")),
            ProfileSpec("legacy-001", "enc-a2", 2, virtual=False),
            ProfileSpec("syn-001", "enc-b1", 1),
            ProfileSpec("parked-001", None, group="EG-A", hardware_type="BL460c Gen10 1"),
        ),
    )


def large_spec(bays: int = 1000, per_enclosure: int = 16, used: float = 0.8) -> Spec:
    """``bays`` bays in enclosures of ``per_enclosure``, spread over two enclosure
    groups; the first ``used`` share of each enclosure's bays carries a profile."""
    enclosures, profiles = [], []
    count = -(-bays // per_enclosure)
    for e in range(count):
        n = min(per_enclosure, bays - e * per_enclosure)
        name = f"enc-{e + 1:03d}"
        enclosures.append(EnclosureSpec(name, "EG-A" if e % 2 == 0 else "EG-B", n))
        profiles += [ProfileSpec(f"srv-{e + 1:03d}-{b:02d}", name, b) for b in range(1, int(n * used) + 1)]
    return Spec(
        groups=(GroupSpec("EG-A", "LIG-A"), GroupSpec("EG-B", "LIG-B")),
        enclosures=tuple(enclosures),
        profiles=tuple(profiles),
    )


def uid(*parts: object) -> str:
    return str(uuidlib.uuid5(NAMESPACE, "/".join(str(p) for p in parts))).upper()


def hexbytes(n: int, width: int) -> str:
    return ":".join(f"{(n >> (8 * i)) & 0xFF:02X}" for i in reversed(range(width)))


class Builder:
    """Allocates ids and addresses while turning a Spec into resources."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.res: dict[str, dict[str, dict]] = {}
        self.mac = 0  # virtual address pools, as the appliance's own ranges would hand out
        self.wwn = 0
        self.serial = 0
        self.hw_by_bay: dict[tuple[str, int], dict] = {}

    def add(self, collection: str, rtype: str, name: str, **fields: object) -> dict:
        rid = str(fields.pop("id", None) or uid(collection, name))
        item = {
            "type": rtype,
            "uri": f"/rest/{collection}/{rid}",
            "category": collection,
            "name": name,
            "eTag": "1",
            "status": "OK",
            "state": "Active",
            "created": "2026-01-05T09:00:00.000Z",
            "modified": "2026-01-05T09:00:00.000Z",
            "description": None,
        }
        item.update(fields)
        self.res.setdefault(collection, {})[item["uri"]] = item
        return item

    def by_name(self, collection: str, name: str) -> dict:
        return next(r for r in self.res[collection].values() if r["name"] == name)

    def build(self) -> dict[str, dict[str, dict]]:
        for name in ("alerts", "tasks", "backups", "labels"):
            self.res[name] = {}
        self.networks()
        for fw in self.spec.firmware:
            slug = fw.lower().replace(" ", "-").replace(".", "-")
            self.add(
                "firmware-drivers",
                "firmware-baselines",
                fw,
                id=slug,
                version=fw.split()[-1],
                bundleType="SPP",
                state="Created",
            )
        for type_name in sorted(
            {e.hardware_type for e in self.spec.enclosures}
            | {t for e in self.spec.enclosures for t in e.other_types.values()}
            | {p.hardware_type for p in self.spec.profiles if p.hardware_type}
        ):
            self.add(
                "server-hardware-types",
                "server-hardware-type-12",
                type_name,
                model=HARDWARE_TYPES.get(type_name, type_name.rsplit(" ", 1)[0]),
                family="BL",
            )
        for group in self.spec.groups:
            self.group(group)
        for enc in self.spec.enclosures:
            self.enclosure(enc)
        for prof in self.spec.profiles:
            self.profile(prof)
        return self.res

    def networks(self) -> None:
        for name, vlan in self.spec.ethernet_networks:
            self.add(
                "ethernet-networks",
                "ethernet-networkV4",
                name,
                vlanId=vlan,
                ethernetNetworkType="Tagged",
                purpose="General",
                smartLink=True,
                privateNetwork=False,
            )
        for name in self.spec.fc_networks:
            self.add(
                "fc-networks",
                "fc-networkV4",
                name,
                fabricType="FabricAttach",
                autoLoginRedistribution=True,
                linkStabilityTime=30,
            )

    def group(self, group: GroupSpec) -> None:
        nets = [n["uri"] for n in self.res["ethernet-networks"].values()]
        lig = self.add(
            "logical-interconnect-groups",
            "logical-interconnect-groupV8",
            group.lig,
            enclosureType="C7000",
            **baseline(nets, self.res["fc-networks"]),
        )
        self.add(
            "enclosure-groups",
            "EnclosureGroupV8",
            group.name,
            enclosureCount=0,
            interconnectBayMappings=[
                {"interconnectBay": b, "logicalInterconnectGroupUri": lig["uri"]} for b in (1, 2)
            ],
            associatedLogicalInterconnectGroups=[lig["uri"]],
        )

    def enclosure(self, enc: EnclosureSpec) -> None:
        eg = self.by_name("enclosure-groups", enc.group)
        eg["enclosureCount"] += 1
        lig_uri = eg["associatedLogicalInterconnectGroups"][0]
        lig = self.res["logical-interconnect-groups"][lig_uri]
        enclosure = self.add(
            "enclosures",
            "EnclosureV8",
            enc.name,
            enclosureGroupUri=eg["uri"],
            enclosureType=enc.frame,
            deviceBayCount=enc.bays,
            serialNumber=f"CZ{zlib.crc32(enc.name.encode()) % 10**8:08d}",
        )
        if enc.joins:  # one LE and LI over several enclosures (frames linked as one)
            le = self.by_name("logical-enclosures", f"LE-{enc.joins}")
            li = self.res["logical-interconnects"][le["logicalInterconnectUris"][0]]
            for shared in (le, li):
                shared["enclosureUris"].append(enclosure["uri"])
            enclosure["logicalEnclosureUri"] = le["uri"]
            li["interconnects"] += [self.interconnect(enclosure, li, b)["uri"] for b in (1, 2)]
            for bay in range(1, enc.bays + 1):
                self.hardware(enc, enclosure, bay)
            return
        le = self.add(
            "logical-enclosures",
            "LogicalEnclosureV8",
            f"LE-{enc.name}",
            enclosureGroupUri=eg["uri"],
            enclosureUris=[enclosure["uri"]],
            firmware=le_firmware(BASE_SPP),
        )
        li = self.add(
            "logical-interconnects",
            "logical-interconnectV8",
            f"LE-{enc.name}-{lig_uri_name(self, lig_uri)}",
            logicalInterconnectGroupUri=lig_uri,
            enclosureUris=[enclosure["uri"]],
            consistencyStatus="CONSISTENT",
            # its uplink sets are /rest/uplink-sets resources (the appliance makes them)
            **{k: copy.deepcopy(v) for k, v in baseline_of(lig).items() if k != "uplinkSets"},
        )
        enclosure["logicalEnclosureUri"] = le["uri"]
        le["logicalInterconnectUris"] = [li["uri"]]
        li["interconnects"] = [self.interconnect(enclosure, li, b)["uri"] for b in (1, 2)]
        for bay in range(1, enc.bays + 1):
            self.hardware(enc, enclosure, bay)

    def interconnect(self, enclosure: dict, li: dict, bay: int) -> dict:
        """A Virtual Connect module in interconnect bay 1 or 2: two uplinks, X1 (in the
        LIG's uplink set, Linked) and X2 (unused, no cable: Unlinked), on the LI's SPP."""
        base = self.res["firmware-drivers"][BASE_SPP]
        return self.add(
            "interconnects",
            "InterconnectV7",
            f"{enclosure['name']}, interconnect {bay}",
            model="HP VC FlexFabric-20/40 F8 Module",
            enclosureName=enclosure["name"],
            logicalInterconnectUri=li["uri"],
            interconnectLocation={"locationEntries": [
                {"type": "Enclosure", "value": enclosure["uri"]}, {"type": "Bay", "value": str(bay)}]},
            firmwareVersion=base["version"],
            ports=[uplink_port(bay, name, linked) for name, linked in (("X1", True), ("X2", False))],
        )

    def hardware(self, enc: EnclosureSpec, enclosure: dict, bay: int) -> None:
        type_name = enc.other_types.get(bay, enc.hardware_type)
        sht = self.by_name("server-hardware-types", type_name)
        n = len(self.hw_by_bay) + 1
        hw_uuid = uid("server-hardware", enc.name, bay)
        hw = self.add(
            "server-hardware",
            "server-hardware-12",
            f"{enc.name}, bay {bay}",
            id=hw_uuid,
            uuid=hw_uuid,
            state="NoProfileApplied",
            powerState=enc.power,
            serverHardwareTypeUri=sht["uri"],
            serverGroupUri=enclosure["enclosureGroupUri"],
            locationUri=enclosure["uri"],
            position=bay,
            serverProfileUri=None,
            model=sht["model"],
            shortModel=sht["model"].removeprefix("ProLiant "),
            serialNumber=f"CZJ{n:07d}",
            virtualSerialNumber=None,
            virtualUuid=None,
            formFactor="HalfHeight",
            mpModel="iLO5",
            mpFirmwareVersion="2.78 Apr 28 2023",
            romVersion="I41 v2.80 (01/25/2023)",
            mpHostInfo={
                "mpHostName": f"ilo-{enc.name}-bay{bay}",
                "mpIpAddresses": [
                    {"address": f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}", "type": "DHCP"}
                ],
            },
            portMap={
                "deviceSlots": [
                    {
                        "slotNumber": 1,
                        "location": "Flb",
                        "deviceName": "HPE FlexFabric 20Gb",
                        "physicalPorts": physical_ports(n),
                    }
                ]
            },
            refreshState="NotRefreshing",
            powerLock=False,
        )
        self.hw_by_bay[(enc.name, bay)] = hw

    def profile(self, prof: ProfileSpec) -> None:
        hw = self.hw_by_bay[(prof.enclosure, prof.bay)] if prof.enclosure else None
        if hw is not None:
            sht_uri, eg_uri = hw["serverHardwareTypeUri"], hw["serverGroupUri"]
        else:
            sht_uri = self.by_name("server-hardware-types", prof.hardware_type or "BL460c Gen10 1")["uri"]
            eg_uri = self.by_name("enclosure-groups", prof.group or self.spec.groups[0].name)["uri"]
        kind = "Virtual" if prof.virtual else "Physical"
        profile = self.add(
            "server-profiles",
            "ServerProfileV12",
            prof.name,
            serverHardwareUri=None,
            serverHardwareTypeUri=sht_uri,
            enclosureGroupUri=eg_uri,
            enclosureUri=None,
            enclosureBay=None,
            macType=kind,
            wwnType=kind,
            serialNumberType=kind,
            serialNumber=None,
            uuid=None,
            affinity="Bay",
            hideUnusedFlexNics=True,
            boot={"manageBoot": True, "order": ["HardDisk"]},
            bootMode={"manageMode": True, "mode": "UEFIOptimized", "pxeBootPolicy": "Auto"},
            templateCompliance="Unknown",
            serverProfileTemplateUri=None,
            taskUri=None,
            state="Normal",
            inProgress=False,
            connectionSettings={"manageConnections": True, "connections": []},
        )
        conns = profile["connectionSettings"]["connections"]
        for i, net in enumerate(prof.networks, 1):
            conns.append(self.connection(i, "Ethernet", self.by_name("ethernet-networks", net)["uri"], kind))
        for j, fabric in enumerate(prof.fabrics, len(conns) + 1):
            conn = self.connection(j, "FibreChannel", self.by_name("fc-networks", fabric)["uri"], kind)
            conn["boot"] = {
                "priority": "Primary" if j == len(prof.networks) + 1 else "Secondary",
                "targets": [{"arrayWwpn": f"20:00:00:02:AC:00:{j:02X}:5A", "lun": "0"}],
            }
            conns.append(conn)
        if prof.virtual:
            self.serial += 1
            profile["serialNumber"] = f"VCGE9{self.serial:05d}"
            profile["uuid"] = str(uuidlib.uuid5(NAMESPACE, f"profile/{prof.name}"))
        if hw is not None:
            place_profile(profile, hw)
            hw["powerState"] = prof.power

    def connection(self, cid: int, function: str, network_uri: str, kind: str) -> dict:
        conn = {
            "id": cid,
            "name": f"conn-{cid}",
            "functionType": function,
            "networkUri": network_uri,
            "portId": "Auto",
            "requestedMbps": "2500" if function == "Ethernet" else "8000",
            "boot": {"priority": "NotBootable"},
            "macType": kind,
            "wwpnType": kind,
            "mac": None,
            "wwpn": None,
            "wwnn": None,
        }
        if kind == "Virtual":
            self.mac += 1
            conn["mac"] = "B6:2D:1E:" + hexbytes(self.mac, 3)
            if function == "FibreChannel":
                self.wwn += 1
                conn["wwpn"] = "10:00:B6:2D:1E:" + hexbytes(self.wwn, 3)
                conn["wwnn"] = "10:00:B6:2D:1F:" + hexbytes(self.wwn, 3)
        return conn


def physical_ports(n: int) -> list[dict]:
    """Two Ethernet and two FC ports with the blade's burnt-in addresses."""
    return [
        {"portNumber": 1, "type": "Ethernet", "mac": "9C:DC:71:" + hexbytes(2 * n, 3)},
        {"portNumber": 2, "type": "Ethernet", "mac": "9C:DC:71:" + hexbytes(2 * n + 1, 3)},
        {"portNumber": 3, "type": "FibreChannel", "wwn": "50:01:43:80:" + hexbytes(2 * n, 4)},
        {"portNumber": 4, "type": "FibreChannel", "wwn": "50:01:43:80:" + hexbytes(2 * n + 1, 4)},
    ]


def place_profile(profile: dict, hw: dict | None) -> None:
    """Put ``profile`` on ``hw`` (None: unassign). Virtual identities stay with the
    profile; physical ones are the hardware's and follow it."""
    profile["serverHardwareUri"] = hw["uri"] if hw else None
    profile["enclosureUri"] = hw["locationUri"] if hw else None
    profile["enclosureBay"] = hw["position"] if hw else None
    if hw is not None:
        hw["serverProfileUri"] = profile["uri"]
        hw["state"] = "ProfileApplied"
    physical = profile["macType"] == "Physical"
    if physical:
        profile["serialNumber"] = hw["serialNumber"] if hw else None
        ports = hw["portMap"]["deviceSlots"][0]["physicalPorts"] if hw else []
        eth = [p["mac"] for p in ports if p["type"] == "Ethernet"]
        fc = [p["wwn"] for p in ports if p["type"] == "FibreChannel"]
        for conn in profile["connectionSettings"]["connections"]:
            pool = eth if conn["functionType"] == "Ethernet" else fc
            addr = pool.pop(0) if pool else None
            conn["mac"] = addr if conn["functionType"] == "Ethernet" else None
            conn["wwpn"] = addr if conn["functionType"] == "FibreChannel" else None
    if hw is not None:
        hw["virtualSerialNumber"] = None if physical else profile["serialNumber"]
        hw["virtualUuid"] = None if physical else profile["uuid"]


def uplink_port(bay: int, name: str, linked: bool) -> dict:
    """An uplink port as the interconnect lists it (with its own error counters, which
    GET .../statistics/{port} answers)."""
    return {
        "type": "port",
        "portName": name,
        "portType": "Uplink",
        "bayNumber": bay,
        "portStatus": "Linked" if linked else "Unlinked",
        "portHealthStatus": "Normal",
        "operationalSpeed": "Speed10G" if linked else "Unknown",
        "enabled": True,
        "rxErrors": 0,
        "txErrors": 0,
    }


def baseline(network_uris: list[str], fc: dict[str, dict]) -> dict:
    """The parts of a LIG a logical interconnect is compared with (consistencyStatus)."""
    return {
        "internalNetworkUris": [network_uris[-1]] if network_uris else [],
        "uplinkSets": [
            {
                "name": "uplink-prod",
                "networkType": "Ethernet",
                "networkUris": network_uris[:-1],
                "logicalPortConfigInfos": [
                    {"logicalLocation": {"bay": bay, "port": "X1"}, "desiredSpeed": "Auto"}
                    for bay in (1, 2)
                ],
            },
            *(
                {
                    "name": f"uplink-{f['name']}",
                    "networkType": "FibreChannel",
                    "networkUris": [f["uri"]],
                    "logicalPortConfigInfos": [],
                }
                for f in fc.values()
            ),
        ],
        "ethernetSettings": {
            "igmpSnooping": False,
            "igmpIdleTimeoutInterval": 260,
            "enableFastMacCacheFailover": True,
            "macRefreshInterval": 5,
            "enableNetworkLoopProtection": True,
        },
    }


# what a LIG holds for its LIs (no firmware: that baseline is the logical enclosure's)
BASELINE_KEYS = ("internalNetworkUris", "uplinkSets", "ethernetSettings")


def le_firmware(spp_uri: str, update_on: str = "SharedInfrastructureOnly") -> dict:
    """A logical enclosure's ``firmware`` as oneview-golang's LogicalEnclosureFirmware has it."""
    return {
        "firmwareBaselineUri": spp_uri,
        "firmwareUpdateOn": update_on,
        "forceInstallFirmware": False,
        "logicalInterconnectUpdateMode": "Parallel",
        "updateFirmwareOnUnmanagedInterconnect": False,
        "validateIfLIFirmwareUpdateIsNonDisruptive": False,
    }


def baseline_of(resource: dict) -> dict:
    return {k: resource[k] for k in BASELINE_KEYS}


def lig_uri_name(builder: Builder, lig_uri: str) -> str:
    return builder.res["logical-interconnect-groups"][lig_uri]["name"]


def build(spec: Spec) -> dict[str, dict[str, dict]]:
    """collection name -> {uri: resource}, in the order the appliance lists them."""
    return Builder(spec).build()
