<?xml version="1.0" encoding="utf-8"?>
<!-- ESAP Hub test spectra: a handful of synthetic 1-D spectra at known
positions, published through DaCHS's own SSA machinery, so that clients of
the Simple Spectral Access protocol (pyvo.dal.SSAService, ESAP Hub's SSA
adapter) run against a real SSA service without the internet.

The layout is the one of DaCHS's SSA template (dachs start ssap+datalink),
without datalink: raw_spectra holds what varies between spectra (from
data/spectra.csv, made by ../make_data.py), the //ssap#view mixin turns it
into the SSA table spectra, and the ssapCore of service ssa answers
SSA queries at /esaptest/spectra/ssa/ssap.xml.  Each row's access reference
is the spectrum file, served by this DaCHS at /getproduct/<accref>.
See ../README.md. -->
<resource schema="esapspec" resdir="esaptest">
	<meta name="title">ESAP Hub test spectra (SSA)</meta>
	<meta name="description">Synthetic optical and infrared spectra of
		M31, M51 and the Crab Nebula (M1), published through Simple Spectral
		Access for ESAP Hub's integration tests.  The metadata is realistic,
		the fluxes are placeholders.</meta>
	<meta name="creationDate">2026-12-06T00:00:00Z</meta>
	<meta name="subject">spectroscopy</meta>
	<meta name="creator">ESAP Hub developers</meta>
	<meta name="publisher">ESAP Hub developers</meta>
	<meta name="contact.name">ESAP Hub developers</meta>
	<meta name="contact.email">esap-hub@example.org</meta>
	<meta name="instrument">INT/IDS, NOT/ALFOSC, NOT/NOTCam</meta>
	<meta name="facility">INT, NOT</meta>
	<meta name="source">Synthetic (tests/data/dachs/make_data.py)</meta>
	<meta name="content.type">Catalog</meta>
	<meta name="coverage.waveband">Optical</meta>
	<meta name="coverage.waveband">Infrared</meta>
	<meta name="productType">spectrum</meta>
	<meta name="ssap.dataSource">pointed</meta>
	<meta name="ssap.creationType">archival</meta>
	<meta name="ssap.testQuery">MAXREC=1</meta>

	<!-- what varies between the spectra; the view adds the rest -->
	<table id="raw_spectra" onDisk="True" adql="hidden"
			namePath="//ssap#instance">
		<meta name="description">Per-spectrum metadata behind the SSA
			view.</meta>
		<LOOP listItems="ssa_pubDID ssa_dstitle ssa_targname ssa_targclass
				ssa_specstart ssa_specend ssa_bandpass ssa_instrument
				ssa_dateObs ssa_timeExt ssa_length">
			<events>
				<column original="\item"/>
			</events>
		</LOOP>
		<mixin>//products#table</mixin>
		<mixin>//ssap#plainlocation</mixin>
		<mixin>//ssap#simpleCoverage</mixin>
	</table>

	<data id="import_spectra">
		<recreateAfter>make_view</recreateAfter>
		<sources>data/spectra.csv</sources>
		<csvGrammar>
			<rowfilter procDef="//products#define">
				<bind key="table">"\schema.raw_spectra"</bind>
				<bind key="accref">@accref</bind>
				<bind key="path">@file</bind>
				<bind key="fsize">int(@fsize)</bind>
				<bind key="mime">@access_format</bind>
			</rowfilter>
		</csvGrammar>
		<make table="raw_spectra">
			<rowmaker idmaps="ssa_*">
				<apply procDef="//ssap#fill-plainlocation">
					<bind key="ra">float(@ra)</bind>
					<bind key="dec">float(@dec)</bind>
					<bind key="aperture">2/3600.</bind>
				</apply>
			</rowmaker>
		</make>
	</data>

	<table id="spectra" onDisk="True" adql="True">
		<meta name="description">The test spectra in DaCHS's SSA table
			model (one row per spectrum; spectral ranges in metres).</meta>
		<mixin
			sourcetable="raw_spectra"
			copiedcolumns="*"
			ssa_aperture="2/3600."
			ssa_collection="'ESAP test spectra'"
			ssa_fluxunit="'erg.s**-1.cm**-2.Angstrom**-1'"
			ssa_fluxucd="'phot.flux.density;em.wl'"
			ssa_fluxcalib="'CALIBRATED'"
			ssa_spectralunit="'Angstrom'"
			ssa_spectralucd="'em.wl;obs.atmos'"
			ssa_speccalib="'ABSOLUTE'"
			>//ssap#view</mixin>
	</table>

	<data id="make_view" auto="False">
		<make table="spectra"/>
	</data>

	<service id="ssa" allowed="ssap.xml">
		<meta name="shortName">ESAP test SSA</meta>
		<meta name="title">ESAP Hub test spectra (SSA)</meta>
		<meta name="description">Simple Spectral Access to the test
			spectra.</meta>
		<meta name="ssap.complianceLevel">query</meta>
		<publish render="ssap.xml" sets="local"/>
		<ssapCore queriedTable="spectra">
			<FEED source="//ssap#hcd_condDescs"/>
		</ssapCore>
	</service>
</resource>
