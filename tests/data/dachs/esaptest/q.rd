<?xml version="1.0" encoding="utf-8"?>
<!-- ESAP Hub test archive: a small synthetic imaging collection (images
and two spectral cubes) published through ObsCore/TAP and SIAv2, with
DataLink and SODA cutouts, plus a point-source catalogue with a cone
search.  Data files are made by ../make_data.py; see ../README.md. -->
<resource schema="esaptest" resdir="esaptest">
	<meta name="title">ESAP Hub test imaging archive</meta>
	<meta name="description">Synthetic image products around M31, M51
		and the Crab Nebula (M1), and a point-source catalogue of the same
		fields.  Made for ESAP Hub's integration tests; the metadata is
		realistic, the pixels are placeholders.</meta>
	<meta name="creationDate">2026-11-24T00:00:00Z</meta>
	<meta name="subject">astronomical-images</meta>
	<meta name="subject">catalogs</meta>
	<meta name="creator">ESAP Hub developers</meta>
	<meta name="contact.name">ESAP Hub developers</meta>
	<meta name="contact.email">esap-hub@example.org</meta>
	<meta name="instrument">INT/WFC, CFHT/MegaCam, HST/ACS, NOT/ALFOSC</meta>
	<meta name="facility">INT, CFHT, HST, NOT</meta>
	<meta name="source">Synthetic (tests/data/dachs/make_data.py)</meta>
	<meta name="content.type">Catalog</meta>
	<meta name="coverage.waveband">Optical</meta>

	<!-- ===================== images: ObsCore + SIAv2 ===================== -->

	<table id="images" onDisk="True" adql="True"
			mixin="//products#table">
		<meta name="description">Image and cube products of the test archive,
			one row per product, with ObsCore-named columns.</meta>
		<!-- DataLink for every product (service dl below): TAP answers on
		this table carry its service descriptor, and ivoa.obscore's own
		datalink service (hence ObsCore and SIAv2 answers) forwards to it -->
		<meta name="_associatedDatalinkService">
			<meta name="serviceId">dl</meta>
			<meta name="idColumn">obs_publisher_did</meta>
		</meta>
		<mixin
			productType="dataproduct_type"
			calibLevel="calib_level"
			collectionName="obs_collection"
			targetName="target_name"
			targetClass="target_class"
			expTime="t_exptime"
			facilityName="facility_name"
			preview="accref || '?preview=True'"
			obsId="obs_id"
			did="obs_publisher_did"
			title="obs_title"
			ra="s_ra"
			dec="s_dec"
			fov="s_fov"
			coverage="s_region"
			tMin="t_min"
			tMax="t_max"
			emMin="em_min"
			emMax="em_max"
			oUCD="o_ucd"
			sResolution="s_resolution"
			instrumentName="instrument_name"
			>//obscore#publish</mixin>

		<column name="obs_publisher_did" type="text"
			ucd="meta.ref.ivoid" tablehead="Dataset ID"
			description="Publisher's IVOA identifier of the data set"/>
		<column name="obs_id" type="text" ucd="meta.id"
			tablehead="Obs. ID" description="Internal identifier of the observation"/>
		<column name="obs_collection" type="text" ucd="meta.id"
			tablehead="Collection" description="Name of the data collection"/>
		<column name="obs_title" type="text" ucd="meta.title;obs"
			tablehead="Title" description="Human-readable title of the product"/>
		<column name="dataproduct_type" type="text" ucd="meta.code.class"
			tablehead="Type" description="ObsCore data product type"/>
		<column name="calib_level" type="smallint" ucd="meta.code;obs.calib"
			tablehead="Calib. level" description="Calibration level (0..4)"
			required="True"/>
		<column name="target_name" type="text" ucd="meta.id;src"
			tablehead="Target" description="Name of the observed target"/>
		<column name="target_class" type="text" ucd="src.class"
			tablehead="Target class" description="Class of the observed target"/>
		<column name="s_ra" type="double precision" unit="deg"
			ucd="pos.eq.ra;meta.main" tablehead="RA"
			description="ICRS right ascension of the image centre"/>
		<column name="s_dec" type="double precision" unit="deg"
			ucd="pos.eq.dec;meta.main" tablehead="Dec"
			description="ICRS declination of the image centre"/>
		<column name="s_fov" type="real" unit="deg"
			ucd="phys.angSize;instr.fov" tablehead="FoV"
			description="Diameter of the region covered"/>
		<column name="s_region" type="spoly" unit="deg"
			ucd="pos.outline;obs.field" tablehead="Footprint"
			description="Sky footprint of the image (ICRS)"/>
		<column name="s_resolution" type="real" unit="arcsec"
			ucd="pos.angResolution" tablehead="Seeing"
			description="Angular resolution (seeing FWHM)"/>
		<column name="em_min" type="double precision" unit="m"
			ucd="em.wl;stat.min" tablehead="λ min"
			description="Lower bound of the filter's wavelength range"/>
		<column name="em_max" type="double precision" unit="m"
			ucd="em.wl;stat.max" tablehead="λ max"
			description="Upper bound of the filter's wavelength range"/>
		<column name="em_band" type="text" ucd="instr.bandpass"
			tablehead="Band" description="Filter name"/>
		<column name="t_min" type="double precision" unit="d"
			ucd="time.start;obs.exposure" tablehead="Start (MJD)"
			description="Start of the exposure (MJD)"/>
		<column name="t_max" type="double precision" unit="d"
			ucd="time.end;obs.exposure" tablehead="End (MJD)"
			description="End of the exposure (MJD)"/>
		<column name="t_exptime" type="real" unit="s"
			ucd="time.duration;obs.exposure" tablehead="Exp. time"
			description="Exposure time"/>
		<column name="facility_name" type="text" ucd="meta.id;instr.tel"
			tablehead="Facility" description="Observatory or telescope"/>
		<column name="instrument_name" type="text" ucd="meta.id;instr"
			tablehead="Instrument" description="Instrument used"/>
		<column name="o_ucd" type="text" ucd="meta.ucd"
			tablehead="Observable" description="UCD of the observable"/>
	</table>

	<data id="import_images">
		<sources>data/images.csv</sources>
		<csvGrammar>
			<rowfilter procDef="//products#define">
				<bind key="table">"\schema.images"</bind>
				<bind key="accref">@accref</bind>
				<bind key="path">@file</bind>
				<bind key="fsize">int(@fsize)</bind>
				<bind key="mime">@access_format</bind>
			</rowfilter>
		</csvGrammar>
		<make table="images">
			<rowmaker idmaps="*">
				<map key="s_region">pgsphere.SPoly.fromDALI(
					[float(v) for v in @s_region.split()])</map>
			</rowmaker>
		</make>
	</data>

	<service id="sia2" allowed="siap2.xml,form">
		<meta name="shortName">ESAP test SIA2</meta>
		<meta name="title">ESAP Hub test imaging (SIAv2)</meta>
		<meta name="description">SIAv2 access to the test image products.</meta>
		<meta name="sia.type">Pointed</meta>
		<meta name="testQuery.pos.ra">10.6847</meta>
		<meta name="testQuery.pos.dec">41.269</meta>
		<meta name="testQuery.size.ra">0.5</meta>
		<meta name="testQuery.size.dec">0.5</meta>
		<publish render="siap2.xml" sets="local"/>
		<dbCore queriedTable="//obscore#ObsCore">
			<FEED source="//siap2#parameters"/>
			<condDesc combining="True">
				<phraseMaker>
					<code>
						yield "source_table='esaptest.images'"
					</code>
				</phraseMaker>
			</condDesc>
		</dbCore>
	</service>

	<!-- ===================== products: DataLink + SODA ===================== -->

	<service id="dl" allowed="dlget,dlmeta">
		<meta name="title">ESAP Hub test products (DataLink, SODA)</meta>
		<meta name="description">DataLink documents of the test products
			(the file, its preview, a SODA processing service) and SODA sync
			cutouts: CIRCLE, POLYGON, POS, RA/DEC and pixel ranges on every
			product, BAND on the cubes.</meta>
		<datalinkCore>
			<!-- our publisher DIDs are not DaCHS's standard ones
			(ivo://<authority>/~?<accref>): look the accref up by DID -->
			<descriptorGenerator procDef="//soda#fits_genDesc">
				<bind key="accrefPrefix">"\schema/"</bind>
				<code>
					with base.getTableConn() as conn:
						found = list(conn.query(
							"SELECT accref FROM \schema.images"
							" WHERE obs_publisher_did = %(did)s", {"did": pubDID}))
					if not found:
						return DatalinkFault.NotFoundFault(pubDID,
							"No data set with this publisher DID in this archive")
					return FITSProductDescriptor.fromAccref(
						pubDID, found[0][0], accrefPrefix=accrefPrefix)
				</code>
			</descriptorGenerator>
			<!-- BAND on a cube's axis 3 only: //soda#fits_makeBANDMeta would
			ask a 2D image for CUNIT3.  The state it leaves (specAxis,
			meterToSpec...) is what fits_makeBANDSlice in the stream below
			reads, as after fits_makeBANDMeta. -->
			<metaMaker name="cubeBAND">
				<setup imports="gavo.utils.fitstools"/>
				<code>
					if descriptor.hdr["NAXIS"] &lt; 3:
						return
					unit = descriptor.hdr["CUNIT3"]
					descriptor.specToMeter = base.getSpecConverter(unit, "m")
					descriptor.meterToSpec = base.getSpecConverter("m", unit)
					descriptor.specAxis = fitstools.WCSAxis.fromHeader(
						descriptor.hdr, 3, forceSeparable=True)
					descriptor.specAxisIndex = 3
					limits = [descriptor.specToMeter(v)
						for v in descriptor.specAxis.getLimits()]
					yield MS(InputKey, name="BAND", unit="m",
						type="double precision[2]", xtype="interval",
						ucd="em.wl", description="Vacuum wavelength limits",
						multiplicity="forced-single",
						values=MS(Values, min=min(limits), max=max(limits)))
				</code>
			</metaMaker>
			<FEED source="//soda#fits_standardDLFuncs"/>
		</datalinkCore>
	</service>

	<!-- ===================== sources: TAP + cone search ================== -->

	<table id="sources" onDisk="True" adql="True" primary="source_id"
			mixin="//scs#pgs-pos-index">
		<meta name="description">Point sources in the fields of the test
			archive's targets.</meta>
		<column name="source_id" type="text" ucd="meta.id;meta.main"
			tablehead="ID" description="Source identifier" required="True"/>
		<column name="ra" type="double precision" unit="deg"
			ucd="pos.eq.ra;meta.main" tablehead="RA"
			description="ICRS right ascension" required="True"/>
		<column name="dec" type="double precision" unit="deg"
			ucd="pos.eq.dec;meta.main" tablehead="Dec"
			description="ICRS declination" required="True"/>
		<column name="field" type="text" ucd="meta.id;src"
			tablehead="Field" description="Target field the source lies in"/>
		<column name="gmag" type="real" unit="mag" ucd="phot.mag;em.opt.B"
			tablehead="g" description="g-band magnitude"/>
		<column name="rmag" type="real" unit="mag" ucd="phot.mag;em.opt.R"
			tablehead="r" description="r-band magnitude"/>
		<column name="kind" type="text" ucd="src.class"
			tablehead="Kind" description="Source classification"/>
	</table>

	<data id="import_sources">
		<sources>data/sources.csv</sources>
		<csvGrammar/>
		<make table="sources">
			<rowmaker idmaps="*"/>
		</make>
	</data>

	<service id="cone" allowed="scs.xml,form">
		<meta name="shortName">ESAP test SCS</meta>
		<meta name="title">ESAP Hub test sources (cone search)</meta>
		<meta name="description">Simple Cone Search over the test
			point-source catalogue.</meta>
		<meta name="testQuery.ra">10.6847</meta>
		<meta name="testQuery.dec">41.269</meta>
		<meta name="testQuery.sr">0.1</meta>
		<publish render="scs.xml" sets="local"/>
		<scsCore queriedTable="sources">
			<FEED source="//scs#coreDescs"/>
		</scsCore>
	</service>
</resource>
