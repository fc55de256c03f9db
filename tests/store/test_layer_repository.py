from evinfra.domain.layers import Place, RegionStat, Road, RoadSite, ScenicArea


def test_layers_round_trip_and_replace(uow_factory):
    places = [
        Place("140105001", "township", "坞城街道", "街道", "140105", 112.57, 37.74, 52000),
        Place("140105001001", "village", "师范街社区居委会", "居委会", "140105", 112.571, 37.741, 3100),
    ]
    road = Road("G5", "expressway", "京昆高速", ((112.5, 37.8), (112.6, 37.9)), 14.1)
    site = RoadSite("HSA-0001", "highway_service_area", "太原南服务区", "G5", "140105", 112.55, 37.70, 120)
    scenic = ScenicArea("SCN-0001", "晋祠", 4, "140106", 112.44, 37.71, 300)
    stat = RegionStat("140105", 2025, 1_000_000, 80_000)
    with uow_factory() as uow:
        assert uow.layers.replace_places(places) == 2
        uow.layers.replace_roads([road])
        uow.layers.replace_road_sites([site])
        uow.layers.replace_scenic_areas([scenic])
        uow.layers.replace_region_stats([stat])
        uow.commit()
    with uow_factory() as uow:
        assert uow.layers.places() == places
        assert uow.layers.places("village") == places[1:]
        assert uow.layers.roads() == [road]
        assert uow.layers.road_sites("highway_service_area") == [site]
        assert uow.layers.scenic_areas() == [scenic]
        assert uow.layers.region_stats(2025) == [stat]
        uow.layers.replace_places(places[:1], level="township")
        uow.commit()
    with uow_factory() as uow:
        assert uow.layers.counts() == {
            "places": 2, "region_stats": 1, "roads": 1, "road_sites": 1, "scenic_areas": 1,
        }  # fmt: skip
