"""A systemd Manager for the tests, on a D-Bus bus the test started (never the machine's):
org.freedesktop.systemd1 with Manager.ListUnits (a(ssssssouso), as systemd documents it), the
Manager's Version and SystemState, and each unit's properties that node_exporter's systemd
collector reads, through org.freedesktop.DBus.Properties.Get. Written with libdbus' Python
binding, so the bytes are libdbus', not ours. Run by Debian's python3 (python3-dbus, python3-gi):

    systemd_peer.py BUS_ADDRESS UNITS_JSON

UNITS_JSON: [{"name", "load", "active", "type"?}, ...]. Prints "ready" once it owns the name."""
import json
import sys

import dbus
import dbus.bus
import dbus.exceptions
import dbus.service
from dbus.mainloop.glib import DBusGMainLoop
from gi.repository import GLib

MANAGER = "org.freedesktop.systemd1.Manager"
VERSION = "252.19-1~deb12u1"


def unit_path(name):
    """systemd's bus path escaping: every byte but [A-Za-z0-9] as _xx."""
    return "/org/freedesktop/systemd1/unit/" + "".join(
        c if c.isascii() and c.isalnum() else "_%02x" % ord(c) for c in name)


def unknown(prop):
    return dbus.exceptions.DBusException(f"no property {prop}",
                                         name="org.freedesktop.DBus.Error.UnknownProperty")


class Unit(dbus.service.Object):
    def __init__(self, bus, unit):
        super().__init__(bus, unit_path(unit["name"]))
        self.unit = unit

    @dbus.service.method(dbus.PROPERTIES_IFACE, in_signature="ss", out_signature="v")
    def Get(self, interface, prop):
        if interface == "org.freedesktop.systemd1.Service" and prop == "Type" and "type" in self.unit:
            return dbus.String(self.unit["type"])
        if interface == "org.freedesktop.systemd1.Socket" and prop in self.unit.get("socket", {}):
            return dbus.UInt32(self.unit["socket"][prop])
        if interface == "org.freedesktop.systemd1.Timer" and prop == "LastTriggerUSec" and "timer" in self.unit:
            return dbus.UInt64(self.unit["timer"])
        raise unknown(prop)


class Manager(dbus.service.Object):
    def __init__(self, bus, units):
        super().__init__(bus, "/org/freedesktop/systemd1")
        self.units = units

    @dbus.service.method(MANAGER, out_signature="a(ssssssouso)")
    def ListUnits(self):
        return [(u["name"], "Unit " + u["name"], u["load"], u["active"],
                 "running" if u["active"] == "active" else "dead", "",
                 dbus.ObjectPath(unit_path(u["name"])), dbus.UInt32(0), "", dbus.ObjectPath("/"))
                for u in self.units]

    @dbus.service.method(dbus.PROPERTIES_IFACE, in_signature="ss", out_signature="v")
    def Get(self, interface, prop):
        values = {"Version": VERSION, "SystemState": "degraded"}
        if interface == MANAGER and prop in values:
            return dbus.String(values[prop])
        raise unknown(prop)


def main():
    address, units_file = sys.argv[1:3]
    with open(units_file) as f:
        units = json.load(f)
    DBusGMainLoop(set_as_default=True)
    bus = dbus.bus.BusConnection(address)
    keep = [Manager(bus, units)] + [Unit(bus, u) for u in units]
    name = dbus.service.BusName("org.freedesktop.systemd1", bus)
    print("ready", flush=True)
    GLib.MainLoop().run()
    del keep, name


if __name__ == "__main__":
    main()
