import pickle

import pytest

from evinfra.domain.errors import DomainValidationError
from evinfra.domain.status import (
    ConnectorState,
    Occupancy,
    OperationalState,
    TcecConnectorStatus,
    from_ocpi,
    from_ocpp16,
    from_tcec,
    to_tcec,
)

ON, OFF, FAULT, UNK = (
    OperationalState.ONLINE,
    OperationalState.OFFLINE,
    OperationalState.FAULTED,
    OperationalState.UNKNOWN,
)


@pytest.mark.parametrize(
    ("code", "operational", "occupancy", "available"),
    [
        (0, OFF, Occupancy.UNKNOWN, False),
        (1, ON, Occupancy.FREE, True),
        (2, ON, Occupancy.OCCUPIED, False),
        (3, ON, Occupancy.CHARGING, False),
        (4, ON, Occupancy.RESERVED, False),
        (255, FAULT, Occupancy.UNKNOWN, False),
    ],
)
def test_tcec_status_splits_into_operational_state_and_occupancy(code, operational, occupancy, available):
    state = from_tcec(code)
    assert state == ConnectorState(operational, occupancy)
    assert state.available is available
    assert to_tcec(state) == TcecConnectorStatus(code)


@pytest.mark.parametrize("bad", [5, -1, 254, "1", None, True])
def test_unknown_tcec_status_names_field_and_allowed_codes(bad):
    with pytest.raises(DomainValidationError) as err:
        from_tcec(bad)
    assert err.value.field == "Status"
    assert "255" in err.value.allowed and "0" in err.value.allowed


def test_unknown_operational_state_is_emitted_as_offline():
    assert to_tcec(ConnectorState(UNK, Occupancy.UNKNOWN)) is TcecConnectorStatus.OFFLINE


def test_ocpi_and_ocpp_map_onto_the_same_pair():
    assert from_ocpi("AVAILABLE") == from_tcec(1) == from_ocpp16("Available")
    assert from_ocpi("OUTOFORDER") == from_tcec(255) == from_ocpp16("Faulted")
    assert from_ocpi("BLOCKED").occupancy is Occupancy.OCCUPIED  # 油车占位: online but not usable
    with pytest.raises(DomainValidationError):
        from_ocpi("SLEEPING")


def test_a_connector_state_survives_pickling_for_every_pair():
    """Status writes cross into the writer process pickled; a state comes back equal, and as cheap to send."""
    for operational in OperationalState:
        for occupancy in Occupancy:
            state = ConnectorState(operational, occupancy)
            back = pickle.loads(pickle.dumps(state, pickle.HIGHEST_PROTOCOL))
            assert back == state and back.operational is operational and back.occupancy is occupancy
